//! The experiments, one per claim about BatchNorm.

use crate::data::DatasetName;
use crate::model::{Activation, Init, Variant, DEEP_DEPTH};
use crate::train::{LrScaling, OptimizerKind, RunConfig, Sweep, SweepParam};

pub struct Preset {
    pub name: &'static str,
    pub title: &'static str,
    /// The claim the experiment tests, in one line.
    pub claim: &'static str,
    /// What to look at to judge the claim.
    pub look_at: &'static str,
    build: fn(&mut RunConfig),
}

impl Preset {
    /// The preset's config for a dataset; CLI flags and the form override it afterwards.
    pub fn config(&self, dataset: DatasetName) -> RunConfig {
        let mut c = RunConfig {
            preset: self.name.to_string(),
            dataset,
            ..RunConfig::default()
        };
        ioffe_base(&mut c);
        (self.build)(&mut c);
        c
    }
}

/// Batches the gradients at initialization are averaged over.
pub const DEPTH_INIT_BATCHES: usize = 5;
/// The `depth` preset's brief training on full data.
pub const DEPTH_STEPS: u64 = 400;
/// The `ics` preset's training on full data.
pub const ICS_STEPS: u64 = 10_000;

/// Paired seeds every preset runs by default: the fewest for which a verdict can be clear.
pub const DEFAULT_SEEDS: usize = 3;

/// The paper's setup (section 4.1): 3x100 sigmoid, batch 60, plain SGD, small Gaussian init.
fn ioffe_base(c: &mut RunConfig) {
    c.activation = Activation::Sigmoid;
    c.batch_size = 60;
    c.optimizer = OptimizerKind::Sgd;
    c.lr = 0.5;
    c.init = Init::Gaussian { sigma: 0.1 };
    c.epochs = if small(c) { 20.0 } else { 5.0 };
    c.probe_every = 100;
    c.seeds = DEFAULT_SEEDS;
}

/// The embedded 5,000 digits: short defaults, so a first run takes seconds.
fn small(c: &RunConfig) -> bool {
    c.dataset == DatasetName::Mnist5k
}

/// A ReLU net with He's init: both nets learn at ordinary learning rates, so what differs
/// is what the experiment varies, not a plain net stuck on a sigmoid plateau.
fn relu_he(c: &mut RunConfig) {
    c.activation = Activation::Relu;
    c.init = Init::He { gain: 1.0 };
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "ioffe2015",
        title: "Ioffe & Szegedy 2015",
        claim: "BN trains faster and keeps each layer's input distribution stable",
        look_at: "validation accuracy vs steps; the p15/p50/p85 bands of a last-layer sigmoid input",
        build: |c| {
            // The paper's 50,000 steps on full data; the embedded digits keep a short run.
            if !small(c) {
                c.steps = Some(50_000);
            }
        },
    },
    Preset {
        name: "high-lr",
        title: "Higher learning rates",
        claim: "BN allows much larger learning rates without diverging",
        look_at: "each net's largest stable learning rate; validation accuracy at each rate",
        build: |c| {
            relu_he(c);
            c.epochs = if small(c) { 6.0 } else { 1.0 };
            c.probe_every = 0;
            c.sweep = Some(Sweep {
                param: SweepParam::LearningRate,
                values: vec![0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0],
            });
        },
    },
    Preset {
        name: "bad-init",
        title: "Bad initialization",
        claim: "BN makes training much less sensitive to the scale of the initial weights",
        look_at: "final validation accuracy at each init sigma; its spread across sigma per net",
        build: |c| {
            // Long enough to get past the plateaus small and large weights start on.
            c.epochs = if small(c) { 20.0 } else { 3.0 };
            c.probe_every = 0;
            c.sweep = Some(Sweep {
                param: SweepParam::InitSigma,
                values: vec![0.01, 0.1, 1.0, 3.0],
            });
        },
    },
    Preset {
        name: "deep",
        title: "Vanishing/exploding gradients",
        claim: "BN keeps gradients from vanishing or exploding through a deep net",
        look_at: "relative gradient of every layer, first against last (Internals view), at each init gain",
        build: |c| {
            // He's init is the fair baseline (gain 1); gain 0.5 makes signals shrink through
            // the ten layers and gain 2 makes them grow, for both nets alike.
            relu_he(c);
            c.depth = DEEP_DEPTH;
            c.probe_every = 50;
            c.lr = 0.05;
            c.epochs = if small(c) { 6.0 } else { 1.0 };
            c.sweep = Some(Sweep {
                param: SweepParam::InitGain,
                values: vec![0.5, 1.0, 2.0],
            });
        },
    },
    Preset {
        name: "generalization",
        title: "Regularization (1,000 images)",
        claim: "BN has a regularizing effect and reduces the need for dropout: a smaller train-validation gap and a higher validation accuracy than plain, and no worse than plain + dropout",
        look_at: "inference-mode train accuracy minus validation accuracy of plain, plain + dropout and BN",
        build: |c| {
            c.variants = vec![Variant::Plain, Variant::PlainDropout, Variant::Bn];
            c.split.train_limit = Some(1000);
            c.epochs = 150.0;
            c.probe_every = 0;
            c.train_eval = true;
        },
    },
    Preset {
        name: "smoothness",
        title: "Smoother loss landscape",
        claim: "BN makes the loss and its gradient change more gently along the gradient (Santurkar et al. 2018)",
        look_at: "effective β-smoothness (gradient change per unit of parameter change) over time",
        build: |c| {
            relu_he(c);
            c.smooth_every = 50;
            c.probe_every = 0;
            c.epochs = if small(c) { 10.0 } else { 2.0 };
        },
    },
    Preset {
        name: "small-batch",
        title: "Where BN is weak: tiny batches",
        claim: "with batches of 2-8, batch statistics are noisy and BN can lose",
        look_at: "BN's accuracy advantage at each batch size, same number of steps",
        build: |c| {
            relu_he(c);
            // Equal optimizer steps at every size, each with the square-root-scaled rate.
            c.steps = Some(if small(c) { 1000 } else { 3000 });
            c.lr = 0.1;
            c.lr_scaling = Some(LrScaling {
                reference: 60,
                power: 0.5,
            });
            c.probe_every = 0;
            // What fixes small batches: LayerNorm needs no batch, Batch Renorm corrects the
            // batch statistics towards the running ones.
            c.variants = vec![
                Variant::Plain,
                Variant::Bn,
                Variant::LayerNorm,
                Variant::BatchRenorm,
            ];
            c.sweep = Some(Sweep {
                param: SweepParam::BatchSize,
                values: vec![2.0, 4.0, 8.0, 60.0],
            });
        },
    },
    Preset {
        name: "depth",
        title: "Gradients at init vs depth",
        claim: "at initialization BN makes a deep fully connected net's gradients grow toward the input with depth (Yang et al. 2019); a plain net with an init suited to its activation does not",
        look_at: "first over last hidden layer's gradient norm at init, at each depth; which depths still train",
        build: |c| {
            // Glorot for tanh (He for ReLU with `--activation relu`): a plain net that is
            // not handicapped by its init, sharing its weights with the BN net.
            c.activation = Activation::Tanh;
            c.init = Init::Glorot { gain: 1.0 };
            c.init_suited = true;
            c.init_grad_batches = DEPTH_INIT_BATCHES;
            c.probe_every = 0;
            c.lr = 0.01;
            let steps = if small(c) { 300 } else { DEPTH_STEPS };
            c.steps = Some(steps);
            // Validation at the end only: at depth 50 one pass over 5,000 images costs as
            // much as a hundred training steps, and "still trains" needs only the end.
            c.eval_every = steps;
            c.depth = 50;
            c.sweep = Some(Sweep {
                param: SweepParam::Depth,
                values: vec![2.0, 5.0, 10.0, 20.0, 50.0],
            });
        },
    },
    Preset {
        name: "ics",
        title: "Internal covariate shift",
        claim: "BN works by reducing internal covariate shift: with BN a layer's gradient changes less when the layers below take their update",
        look_at: "cos(G, G′) and ‖G − G′‖/‖G‖ per layer over training (Internals); accuracy and one unit's input bands of each variant",
        build: |c| {
            // The paper's net, where the story of ICS was told; probes every 100 steps.
            c.ics_every = 100;
            // Noisy BN moves every layer's input distribution at every step: does BN still
            // win (Santurkar et al. 2018, section 2.1)?
            c.variants = vec![Variant::Plain, Variant::Bn, Variant::BnNoisy];
            c.steps = Some(if small(c) { 1000 } else { ICS_STEPS });
        },
    },
    Preset {
        name: "placement",
        title: "BN before vs after the activation",
        claim: "where BN goes matters less than having it; before the activation is the paper's choice",
        look_at: "validation curves of plain, BN-before and BN-after",
        build: |c| {
            c.variants = vec![Variant::Plain, Variant::Bn, Variant::BnAfter];
        },
    },
    Preset {
        name: "dropout",
        title: "Dropout's variance shift",
        claim: "dropout before a BN shifts the variance it normalizes with away from the one it meets in inference and costs accuracy; dropout only after the last BN does not (Li et al. 2019)",
        look_at: "the second BN's running over inference variance (left chart, m picks another layer); validation accuracy of the five arms",
        build: |c| {
            // Where overfitting happens, as in `generalization`: dropout has work to do.
            c.variants = vec![
                Variant::Plain,
                Variant::PlainDropout,
                Variant::Bn,
                Variant::BnDropoutBefore,
                Variant::BnDropout,
            ];
            c.split.train_limit = Some(1000);
            c.epochs = 150.0;
            c.probe_every = 100;
        },
    },
    Preset {
        name: "bn-only",
        title: "Only γ and β trained",
        claim: "with the random hidden weights frozen, training only BN's γ and β reaches a higher accuracy than training as many randomly chosen hidden weights, or the output layer alone (Frankle et al. 2020)",
        look_at: "validation accuracy of the three frozen arms beside fully trained plain and BN; units with γ near 0 in the summary",
        build: |c| {
            // Frankle et al.'s nets are ReLU ResNets with He's init.
            relu_he(c);
            c.variants = vec![
                Variant::Plain,
                Variant::Bn,
                Variant::BnOnly,
                Variant::BnRandom,
                Variant::BnFrozen,
            ];
        },
    },
];

pub fn find(name: &str) -> Option<&'static Preset> {
    PRESETS.iter().find(|p| p.name == name)
}

pub fn names() -> String {
    PRESETS
        .iter()
        .map(|p| p.name)
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_is_valid_on_every_dataset() {
        for p in PRESETS {
            for d in crate::data::source::ALL_DATASETS {
                p.config(d)
                    .validate()
                    .unwrap_or_else(|e| panic!("{}: {e}", p.name));
            }
        }
    }

    #[test]
    fn high_lr_spans_100x() {
        let c = find("high-lr").unwrap().config(DatasetName::Mnist5k);
        let v = &c.sweep.unwrap().values;
        assert!(v.len() >= 4);
        let (lo, hi) = (
            v.iter().cloned().fold(f64::MAX, f64::min),
            v.iter().cloned().fold(0.0, f64::max),
        );
        assert!(hi / lo >= 100.0);
    }
}
