//! The experiments, one per claim about BatchNorm.

use crate::data::DatasetName;
use crate::model::{Activation, Init, Variant, DEEP_DEPTH};
use crate::train::{OptimizerKind, RunConfig, Sweep, SweepParam};

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

/// The paper's setup (section 4.1): 3x100 sigmoid, batch 60, plain SGD, small Gaussian init.
fn ioffe_base(c: &mut RunConfig) {
    c.activation = Activation::Sigmoid;
    c.batch_size = 60;
    c.optimizer = OptimizerKind::Sgd;
    c.lr = 0.5;
    c.init = Init::Gaussian { sigma: 0.1 };
    c.epochs = if c.dataset == DatasetName::Mnist5k {
        20.0
    } else {
        5.0
    };
    c.probe_every = 100;
}

pub const PRESETS: &[Preset] = &[
    Preset {
        name: "ioffe2015",
        title: "Ioffe & Szegedy 2015",
        claim: "BN trains faster and keeps each layer's input distribution stable",
        look_at: "validation accuracy vs steps; the p15/p50/p85 bands of a last-layer sigmoid input",
        build: |_| {},
    },
    Preset {
        name: "high-lr",
        title: "Higher learning rates",
        claim: "BN allows much larger learning rates without diverging",
        look_at: "steps to 95% validation accuracy at each learning rate; diverged points",
        build: |c| {
            c.activation = Activation::Relu;
            c.init = Init::Default;
            c.epochs = if c.dataset == DatasetName::Mnist5k { 6.0 } else { 1.0 };
            c.probe_every = 0;
            c.sweep = Some(Sweep {
                param: SweepParam::LearningRate,
                values: vec![0.02, 0.1, 0.5, 2.0],
            });
        },
    },
    Preset {
        name: "bad-init",
        title: "Bad initialization",
        claim: "BN makes training much less sensitive to the scale of the initial weights",
        look_at: "final validation accuracy at each init sigma",
        build: |c| {
            c.epochs = if c.dataset == DatasetName::Mnist5k { 6.0 } else { 1.0 };
            c.probe_every = 0;
            c.sweep = Some(Sweep {
                param: SweepParam::InitSigma,
                values: vec![0.01, 0.1, 1.0, 3.0],
            });
        },
    },
    Preset {
        name: "deep",
        title: "Vanishing gradients (10 layers)",
        claim: "BN keeps gradients flowing through a deep sigmoid net",
        look_at: "gradient norm of every layer over time (Internals view)",
        build: |c| {
            c.depth = DEEP_DEPTH;
            c.init = Init::Default;
            c.probe_every = 50;
        },
    },
    Preset {
        name: "generalization",
        title: "Regularization (1,000 images)",
        claim: "BN has a regularizing effect: a smaller train-validation gap",
        look_at: "train accuracy minus validation accuracy over time",
        build: |c| {
            c.split.train_limit = Some(1000);
            c.epochs = 150.0;
            c.probe_every = 0;
        },
    },
    Preset {
        name: "smoothness",
        title: "Smoother loss landscape",
        claim: "BN makes the loss and its gradient change more gently along the gradient (Santurkar et al. 2018)",
        look_at: "loss range and gradient change along the gradient direction, over time",
        build: |c| {
            // ReLU at the paper's learning rate: both nets learn, so the comparison is about the
            // landscape and not about one net sitting on a sigmoid plateau.
            c.activation = Activation::Relu;
            c.init = Init::Gaussian { sigma: 0.05 };
            c.smooth_every = 50;
            c.probe_every = 0;
            c.epochs = if c.dataset == DatasetName::Mnist5k { 10.0 } else { 2.0 };
        },
    },
    Preset {
        name: "small-batch",
        title: "Where BN is weak: tiny batches",
        claim: "with batches of 2-8, batch statistics are noisy and BN can lose",
        look_at: "final validation accuracy at each batch size, same number of epochs",
        build: |c| {
            c.epochs = if c.dataset == DatasetName::Mnist5k { 2.0 } else { 0.5 };
            c.lr = 0.1;
            c.probe_every = 0;
            c.sweep = Some(Sweep {
                param: SweepParam::BatchSize,
                values: vec![2.0, 4.0, 8.0, 60.0],
            });
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
