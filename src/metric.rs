//! The names of what trainers measure, as a type. The text form (`val_acc`, `grad_norm.l2`)
//! exists only at the edges: `metrics.csv`, the report's prose and the screen's labels.
//! Everything in between matches on the key, so a per-layer metric is never recognised by
//! looking for a dot, and a typo is a compile error rather than an empty chart.

use std::fmt;
use std::str::FromStr;

/// Validation-accuracy levels whose first crossing measures convergence speed.
pub const ACC_THRESHOLDS: [f64; 3] = [0.90, 0.95, 0.97];

/// A layer of the network: hidden layers count from 1, the linear head is `Out`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Layer {
    Hidden(u16),
    Out,
}

impl Layer {
    /// The layer at 0-based position `index` of a net with `hidden` hidden layers.
    pub fn at(index: usize, hidden: usize) -> Self {
        if index < hidden {
            Layer::Hidden(index as u16 + 1)
        } else {
            Layer::Out
        }
    }

    /// The 0-based position of the layer in a net with `hidden` hidden layers.
    pub fn index(self, hidden: usize) -> usize {
        match self {
            Layer::Hidden(n) => usize::from(n) - 1,
            Layer::Out => hidden,
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so that width and alignment flags work as for a string.
        match self {
            Layer::Hidden(n) => f.pad(&format!("l{n}")),
            Layer::Out => f.pad("out"),
        }
    }
}

impl FromStr for Layer {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        if s == "out" {
            return Ok(Layer::Out);
        }
        let n: u16 = s.strip_prefix('l').ok_or(())?.parse().map_err(|_| ())?;
        if n == 0 || s.starts_with("l0") {
            return Err(());
        }
        Ok(Layer::Hidden(n))
    }
}

/// What is measured of one layer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LayerMetric {
    GradNorm,
    WeightNorm,
    BnGammaMean,
    BnGammaStd,
    BnBetaMean,
    BnBetaStd,
    BnRmeanMean,
    BnRvarMean,
    BnRmeanDrift,
    BnRvarDrift,
    /// Percentiles of every activation input of the layer on the probe batch.
    PreactP15,
    PreactP50,
    PreactP85,
    /// Percentiles of one tracked unit's activation input (Ioffe & Szegedy's Figure 1).
    UnitP15,
    UnitP50,
    UnitP85,
    /// ‖∂L/∂W‖ of the untrained net, mean over the first batches (Yang et al. 2019).
    InitGradNorm,
    /// Internal covariate shift (Santurkar et al. 2018): G is the layer's weight gradient
    /// at a step, G′ the same gradient after the layers below took that step's update;
    /// ‖G − G′‖₂, cos(G, G′) and ‖G − G′‖ / ‖G‖.
    IcsL2,
    IcsCos,
    IcsRel,
    /// A BN's running variance over the variance of its input in inference mode, geometric
    /// mean over units (Li et al. 2019's variance shift; 1 is none).
    BnVarShift,
    /// The fraction of a BN's units whose |γ| is below `model::probe::GAMMA_OFF`: units training has
    /// switched off (Frankle et al. 2020).
    BnGammaOff,
}

impl LayerMetric {
    pub const ALL: [LayerMetric; 22] = [
        LayerMetric::GradNorm,
        LayerMetric::WeightNorm,
        LayerMetric::BnGammaMean,
        LayerMetric::BnGammaStd,
        LayerMetric::BnBetaMean,
        LayerMetric::BnBetaStd,
        LayerMetric::BnRmeanMean,
        LayerMetric::BnRvarMean,
        LayerMetric::BnRmeanDrift,
        LayerMetric::BnRvarDrift,
        LayerMetric::PreactP15,
        LayerMetric::PreactP50,
        LayerMetric::PreactP85,
        LayerMetric::UnitP15,
        LayerMetric::UnitP50,
        LayerMetric::UnitP85,
        LayerMetric::InitGradNorm,
        LayerMetric::IcsL2,
        LayerMetric::IcsCos,
        LayerMetric::IcsRel,
        LayerMetric::BnVarShift,
        LayerMetric::BnGammaOff,
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            LayerMetric::GradNorm => "grad_norm",
            LayerMetric::WeightNorm => "weight_norm",
            LayerMetric::BnGammaMean => "bn_gamma_mean",
            LayerMetric::BnGammaStd => "bn_gamma_std",
            LayerMetric::BnBetaMean => "bn_beta_mean",
            LayerMetric::BnBetaStd => "bn_beta_std",
            LayerMetric::BnRmeanMean => "bn_rmean_mean",
            LayerMetric::BnRvarMean => "bn_rvar_mean",
            LayerMetric::BnRmeanDrift => "bn_rmean_drift",
            LayerMetric::BnRvarDrift => "bn_rvar_drift",
            LayerMetric::PreactP15 => "preact_p15",
            LayerMetric::PreactP50 => "preact_p50",
            LayerMetric::PreactP85 => "preact_p85",
            LayerMetric::UnitP15 => "unit_p15",
            LayerMetric::UnitP50 => "unit_p50",
            LayerMetric::UnitP85 => "unit_p85",
            LayerMetric::InitGradNorm => "init_grad_norm",
            LayerMetric::IcsL2 => "ics_l2",
            LayerMetric::IcsCos => "ics_cos",
            LayerMetric::IcsRel => "ics_rel",
            LayerMetric::BnVarShift => "bn_var_shift",
            LayerMetric::BnGammaOff => "bn_gamma_off",
        }
    }

    /// The three percentile bands of one kind, low to high.
    pub const PREACT_BANDS: [LayerMetric; 3] = [
        LayerMetric::PreactP15,
        LayerMetric::PreactP50,
        LayerMetric::PreactP85,
    ];
    pub const UNIT_BANDS: [LayerMetric; 3] = [
        LayerMetric::UnitP15,
        LayerMetric::UnitP50,
        LayerMetric::UnitP85,
    ];

    pub fn of(self, layer: Layer) -> Metric {
        Metric::Layer(self, layer)
    }
}

/// One measured quantity of a trainer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Mean training loss over the last log interval (training mode, batch statistics).
    TrainLoss,
    TrainAcc,
    /// Global gradient norm, mean over the log interval.
    GradNorm,
    ValLoss,
    ValAcc,
    TestLoss,
    TestAcc,
    /// Loss and accuracy on a fixed part of the training set in inference mode (running
    /// statistics), measured like the validation set.
    TrainEvalLoss,
    TrainEvalAcc,
    /// Santurkar et al.'s landscape probes along the gradient direction.
    SmoothLossRange,
    SmoothGradChange,
    SmoothBeta,
    Layer(LayerMetric, Layer),
}

impl Metric {
    /// Every whole-network metric, in the order trainers first report them.
    pub const SCALARS: [Metric; 12] = [
        Metric::TrainLoss,
        Metric::TrainAcc,
        Metric::GradNorm,
        Metric::ValLoss,
        Metric::ValAcc,
        Metric::TestLoss,
        Metric::TestAcc,
        Metric::TrainEvalLoss,
        Metric::TrainEvalAcc,
        Metric::SmoothLossRange,
        Metric::SmoothGradChange,
        Metric::SmoothBeta,
    ];

    /// The name of a whole-network metric, or the kind of a per-layer one.
    pub const fn base_name(self) -> &'static str {
        match self {
            Metric::TrainLoss => "train_loss",
            Metric::TrainAcc => "train_acc",
            Metric::GradNorm => "grad_norm",
            Metric::ValLoss => "val_loss",
            Metric::ValAcc => "val_acc",
            Metric::TestLoss => "test_loss",
            Metric::TestAcc => "test_acc",
            Metric::TrainEvalLoss => "train_eval_loss",
            Metric::TrainEvalAcc => "train_eval_acc",
            Metric::SmoothLossRange => "smooth_loss_range",
            Metric::SmoothGradChange => "smooth_grad_change",
            Metric::SmoothBeta => "smooth_beta",
            Metric::Layer(k, _) => k.as_str(),
        }
    }

    /// Whether the metric describes one layer rather than the whole network.
    pub fn is_layer(self) -> bool {
        matches!(self, Metric::Layer(..))
    }

    pub fn layer(self) -> Option<Layer> {
        match self {
            Metric::Layer(_, l) => Some(l),
            _ => None,
        }
    }
}

impl fmt::Display for Metric {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Metric::Layer(k, l) => f.pad(&format!("{}.{l}", k.as_str())),
            m => f.pad(m.base_name()),
        }
    }
}

/// A metric name that bnlab does not record.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown metric `{0}`")]
pub struct UnknownMetric(pub String);

impl FromStr for Metric {
    type Err = UnknownMetric;
    fn from_str(s: &str) -> Result<Self, UnknownMetric> {
        let unknown = || UnknownMetric(s.to_string());
        match s.split_once('.') {
            Some((kind, layer)) => {
                let k = LayerMetric::ALL
                    .into_iter()
                    .find(|k| k.as_str() == kind)
                    .ok_or_else(unknown)?;
                Ok(Metric::Layer(k, layer.parse().map_err(|_| unknown())?))
            }
            None => Metric::SCALARS
                .into_iter()
                .find(|m| m.base_name() == s)
                .ok_or_else(unknown),
        }
    }
}

/// Ordered by name, as the text form would sort, so lists of metrics read alphabetically.
impl Ord for Metric {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.base_name()
            .cmp(other.base_name())
            .then_with(|| self.layer().cmp(&other.layer()))
    }
}

impl PartialOrd for Metric {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_round_trips_through_text() {
        let mut all: Vec<Metric> = Metric::SCALARS.to_vec();
        for k in LayerMetric::ALL {
            for l in [
                Layer::Hidden(1),
                Layer::Hidden(10),
                Layer::Hidden(300),
                Layer::Out,
            ] {
                all.push(k.of(l));
            }
        }
        for m in all {
            let s = m.to_string();
            assert_eq!(s.parse::<Metric>(), Ok(m), "{s}");
        }
        assert_eq!(Metric::ValAcc.to_string(), "val_acc");
        assert_eq!(
            LayerMetric::GradNorm.of(Layer::Hidden(2)).to_string(),
            "grad_norm.l2"
        );
        assert_eq!(
            LayerMetric::UnitP50.of(Layer::Out).to_string(),
            "unit_p50.out"
        );
    }

    #[test]
    fn unknown_and_malformed_names_are_refused() {
        for s in [
            "",
            "val",
            "val_acc.l1x",
            "grad_norm.",
            "grad_norm.l0",
            "grad_norm.l01",
            "grad_norm.x1",
            "nonsense.l1",
            "val_acc ",
            "VAL_ACC",
        ] {
            assert!(s.parse::<Metric>().is_err(), "{s:?}");
        }
    }

    #[test]
    fn layers_map_to_positions_and_back() {
        assert_eq!(Layer::at(0, 3), Layer::Hidden(1));
        assert_eq!(Layer::at(3, 3), Layer::Out);
        for i in 0..=3 {
            assert_eq!(Layer::at(i, 3).index(3), i);
        }
    }

    #[test]
    fn order_follows_the_text() {
        let mut v = [
            Metric::ValAcc,
            LayerMetric::GradNorm.of(Layer::Out),
            Metric::GradNorm,
            LayerMetric::GradNorm.of(Layer::Hidden(1)),
            Metric::TrainLoss,
        ];
        v.sort();
        let names: Vec<String> = v.iter().map(|m| m.to_string()).collect();
        assert_eq!(
            names,
            [
                "grad_norm",
                "grad_norm.l1",
                "grad_norm.out",
                "train_loss",
                "val_acc"
            ]
        );
    }
}
