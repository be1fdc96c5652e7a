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
}

impl Variant {
    pub const ALL: [Variant; 3] = [Variant::Plain, Variant::Bn, Variant::BnAfter];

    pub fn as_str(self) -> &'static str {
        match self {
            Variant::Plain => "plain",
            Variant::Bn => "bn",
            Variant::BnAfter => "bn-after",
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
        }
    }

    pub fn has_bn(self) -> bool {
        self != Variant::Plain
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
}

impl std::fmt::Display for Init {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Init::Default => f.write_str("uniform ±1/√fan_in"),
            Init::Gaussian { sigma } => write!(f, "N(0, {sigma}²)"),
        }
    }
}
