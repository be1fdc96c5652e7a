//! The knobs that select a network: variant (where BN goes) and activation.

use serde::{Deserialize, Serialize};

/// Which form of the MLP a trainer runs.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Variant {
    /// No normalization.
    Plain,
    /// BatchNorm between the linear layer and the activation (Ioffe & Szegedy).
    Bn,
    /// BatchNorm after the activation.
    BnAfter,
    /// No normalization, dropout after every hidden activation.
    PlainDropout,
    /// BN before the activation, dropout only after the last hidden block, where no BN
    /// follows it (Li et al. 2019's remedy for the variance shift).
    BnDropout,
    /// BN before the activation, dropout after every hidden block that feeds a BN (all but
    /// the last): each BN after the first sees dropped inputs in training and whole ones in
    /// inference (Li et al. 2019's variance shift).
    BnDropoutBefore,
    /// LayerNorm between the linear layer and the activation (Ba et al. 2016): each sample
    /// normalized over its own features, no batch statistics.
    #[serde(rename = "layernorm")]
    #[value(name = "layernorm")]
    LayerNorm,
    /// BN before the activation with time-varying noise of non-zero mean and non-unit
    /// variance added after every BN in training (Santurkar et al. 2018, section 2.1): the
    /// layers' input distributions move at every step although BN normalized them.
    BnNoisy,
    /// Batch Renormalization before the activation (Ioffe 2017): batch statistics corrected
    /// towards the running ones by the clipped r and d, so training and inference agree.
    BatchRenorm,
    /// BN before the activation with the random linear weights frozen at their init: only
    /// γ, β and the output layer train (Frankle et al. 2020).
    BnOnly,
    /// BN-only's control: γ and β frozen at 1 and 0, and as many hidden-layer weights as
    /// BN-only trains (two per unit, drawn at random from the unit's inputs) train with the
    /// output layer.
    BnRandom,
    /// Only the output layer trains, on the frozen random BN net's features: what neither γ,
    /// β nor any hidden weight adds.
    BnFrozen,
}

/// Which of a net's parameters its training updates; the output layer always trains.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trainable {
    All,
    /// γ and β of every hidden block, no hidden linear weight or bias.
    NormOnly,
    /// This many weights per hidden unit, drawn from its inputs; no bias, γ or β.
    RandomPerUnit(usize),
    /// Nothing of the hidden blocks.
    HeadOnly,
}

impl Variant {
    /// Every variant; a new one goes at the end (its colour and mark follow its position).
    pub const ALL: [Variant; 12] = [
        Variant::Plain,
        Variant::Bn,
        Variant::BnAfter,
        Variant::PlainDropout,
        Variant::BnDropout,
        Variant::BnDropoutBefore,
        Variant::LayerNorm,
        Variant::BnNoisy,
        Variant::BatchRenorm,
        Variant::BnOnly,
        Variant::BnRandom,
        Variant::BnFrozen,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Bn => "bn",
            Variant::BnAfter => "bn-after",
            Variant::PlainDropout => "plain-dropout",
            Variant::BnDropout => "bn-dropout",
            Variant::BnDropoutBefore => "bn-dropout-before",
            Variant::LayerNorm => "layernorm",
            Variant::BnNoisy => "bn-noisy",
            Variant::BatchRenorm => "batch-renorm",
            Variant::BnOnly => "bn-only",
            Variant::BnRandom => "bn-random",
            Variant::BnFrozen => "bn-frozen",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Bn => "BN (before act.)",
            Variant::BnAfter => "BN (after act.)",
            Variant::PlainDropout => "plain + dropout",
            Variant::BnDropout => "BN + dropout after the last BN",
            Variant::BnDropoutBefore => "BN + dropout before BN",
            Variant::LayerNorm => "LayerNorm",
            Variant::BnNoisy => "noisy BN",
            Variant::BatchRenorm => "Batch Renorm",
            Variant::BnOnly => "BN, only γ and β trained",
            Variant::BnRandom => "BN, 2 random weights per unit trained",
            Variant::BnFrozen => "BN, only the output layer trained",
        }
    }

    /// Whether the net normalizes with batch statistics (so it needs batches of 2 or more).
    pub fn has_bn(self) -> bool {
        self.norm().uses_bn()
    }

    /// The normalization every hidden block of this variant's net uses.
    pub fn norm(self) -> Norm {
        match self {
            Variant::Plain | Variant::PlainDropout => Norm::None,
            Variant::Bn
            | Variant::BnDropout
            | Variant::BnDropoutBefore
            | Variant::BnOnly
            | Variant::BnRandom
            | Variant::BnFrozen => Norm::BnBefore,
            Variant::BnAfter => Norm::BnAfter,
            Variant::LayerNorm => Norm::LayerNorm,
            Variant::BnNoisy => Norm::BnNoisy,
            Variant::BatchRenorm => Norm::BatchRenorm,
        }
    }

    /// What training updates; every variant but the three of Frankle et al.'s experiment
    /// trains everything.
    pub fn trainable(self) -> Trainable {
        match self {
            Variant::BnOnly => Trainable::NormOnly,
            Variant::BnRandom => Trainable::RandomPerUnit(2),
            Variant::BnFrozen => Trainable::HeadOnly,
            _ => Trainable::All,
        }
    }

    /// Whether hidden block `layer` (0 = the first) of a net of `depth` blocks drops out
    /// its output.
    pub fn dropout_at(self, layer: usize, depth: usize) -> bool {
        match self {
            Variant::PlainDropout => true,
            Variant::BnDropout => layer + 1 == depth,
            Variant::BnDropoutBefore => layer + 1 < depth,
            _ => false,
        }
    }

    /// Each hidden block of this variant's net of `depth` blocks, the first one's first.
    pub fn blocks(self, depth: usize, act: Activation, settings: &VariantSettings) -> Vec<Block> {
        (0..depth)
            .map(|layer| Block {
                norm: self.norm(),
                act,
                dropout: if self.dropout_at(layer, depth) {
                    settings.dropout
                } else {
                    0.0
                },
            })
            .collect()
    }
}

/// The settings of the variants that have any; each variant reads only its own.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct VariantSettings {
    /// The dropout rate p of the dropout variants, in [0, 1); 0 is no dropout at all.
    pub dropout: f32,
}

impl Default for VariantSettings {
    fn default() -> Self {
        // Srivastava et al. (2014)'s rate for hidden units.
        VariantSettings { dropout: 0.5 }
    }
}

/// One hidden block's form: linear → [norm] → activation → [dropout], BN-after putting its
/// BN after the activation (and before the dropout).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Block {
    pub norm: Norm,
    pub act: Activation,
    /// The dropout rate after the activation; 0 is none (and draws nothing).
    pub dropout: f32,
}

/// A hidden block's normalization, chosen at run time: one compiled network type serves them
/// all, so a new kind costs a match arm, not a new monomorphized network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Norm {
    #[default]
    None,
    /// BatchNorm between the linear layer and the activation.
    BnBefore,
    /// BatchNorm after the activation.
    BnAfter,
    /// LayerNorm between the linear layer and the activation.
    LayerNorm,
    /// BatchNorm before the activation, its output scaled and shifted by fresh noise at
    /// every training step; inference is plain BN.
    BnNoisy,
    /// Batch Renormalization before the activation; inference is plain BN.
    BatchRenorm,
}

impl Norm {
    /// Whether the block holds a BatchNorm (batch statistics, running statistics).
    pub fn uses_bn(self) -> bool {
        matches!(
            self,
            Norm::BnBefore | Norm::BnAfter | Norm::BnNoisy | Norm::BatchRenorm
        )
    }

    /// Whether the block holds a LayerNorm.
    pub fn uses_ln(self) -> bool {
        self == Norm::LayerNorm
    }
}

impl std::fmt::Display for Variant {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The non-linearity of the hidden layers, chosen at run time so each network
/// shape is compiled only once.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, clap::ValueEnum,
)]
#[serde(rename_all = "kebab-case")]
pub enum Activation {
    #[default]
    Sigmoid,
    Relu,
    Tanh,
}

impl Activation {
    pub fn as_str(self) -> &'static str {
        match self {
            Activation::Sigmoid => "sigmoid",
            Activation::Relu => "relu",
            Activation::Tanh => "tanh",
        }
    }

    pub fn apply(self, z: f32) -> f32 {
        match self {
            Activation::Sigmoid => 1.0 / (1.0 + (-z).exp()),
            Activation::Relu => z.max(0.0),
            Activation::Tanh => z.tanh(),
        }
    }
}

impl std::fmt::Display for Activation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How the weights of the linear layers are drawn.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Init {
    /// dfdx's default: weights and biases uniform in ±1/sqrt(fan_in).
    Default,
    /// Weights N(0, sigma²), biases zero (the paper's "small random Gaussian values").
    Gaussian { sigma: f32 },
    /// Weights N(0, gain² · 2 / (fan_in + fan_out)), biases zero: Glorot & Bengio's scale,
    /// which keeps signals from shrinking or growing through sigmoid and tanh layers.
    Glorot { gain: f32 },
    /// Weights N(0, gain² · 2 / fan_in), biases zero: He et al.'s scale for ReLU layers.
    He { gain: f32 },
}

impl Init {
    /// The scale a fair baseline uses for `activation`: He for ReLU, Glorot otherwise.
    pub fn suited_to(activation: Activation, gain: f32) -> Self {
        match activation {
            Activation::Relu => Init::He { gain },
            Activation::Sigmoid | Activation::Tanh => Init::Glorot { gain },
        }
    }

    /// The standard deviation of a layer's weights, for the Gaussian kinds.
    pub fn sigma(self, fan_in: usize, fan_out: usize) -> Option<f32> {
        match self {
            Init::Default => None,
            Init::Gaussian { sigma } => Some(sigma),
            Init::Glorot { gain } => Some(gain * (2.0 / (fan_in + fan_out) as f32).sqrt()),
            Init::He { gain } => Some(gain * (2.0 / fan_in as f32).sqrt()),
        }
    }

    /// The init as typed in the settings form: `default`, a sigma, `glorot` or `he`, the last
    /// two optionally with a gain (`he*2`).
    pub fn to_text(self) -> String {
        match self {
            Init::Default => "default".into(),
            Init::Gaussian { sigma } => sigma.to_string(),
            Init::Glorot { gain: 1.0 } => "glorot".into(),
            Init::Glorot { gain } => format!("glorot*{gain}"),
            Init::He { gain: 1.0 } => "he".into(),
            Init::He { gain } => format!("he*{gain}"),
        }
    }

    /// Reads `to_text`'s form back; `None` when it is none of them.
    pub fn from_text(t: &str) -> Option<Self> {
        let t = t.trim().to_ascii_lowercase();
        if t.is_empty() || t == "default" {
            return Some(Init::Default);
        }
        let (kind, gain) = match t.split_once('*') {
            Some((k, g)) => (k.trim(), g.trim().parse::<f32>().ok()?),
            None => (t.as_str(), 1.0),
        };
        let ok = gain.is_finite() && gain > 0.0;
        match kind {
            "glorot" if ok => Some(Init::Glorot { gain }),
            "he" if ok => Some(Init::He { gain }),
            _ if t.contains('*') => None,
            _ => t.parse::<f32>().ok().map(|sigma| Init::Gaussian { sigma }),
        }
    }

    /// The same kind of init at another gain; a Gaussian's sigma is scaled instead.
    pub fn with_gain(self, g: f32) -> Self {
        match self {
            Init::Default => Init::Default,
            Init::Gaussian { sigma } => Init::Gaussian { sigma: sigma * g },
            Init::Glorot { .. } => Init::Glorot { gain: g },
            Init::He { .. } => Init::He { gain: g },
        }
    }
}

impl std::fmt::Display for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Init::Default => f.write_str("uniform ±1/√fan_in"),
            Init::Gaussian { sigma } => write!(f, "N(0, {sigma}²)"),
            Init::Glorot { gain } if *gain == 1.0 => f.write_str("Glorot"),
            Init::Glorot { gain } => write!(f, "Glorot × {gain}"),
            Init::He { gain } if *gain == 1.0 => f.write_str("He"),
            Init::He { gain } => write!(f, "He × {gain}"),
        }
    }
}
