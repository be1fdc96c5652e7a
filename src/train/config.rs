//! What a run trains: the settings a user picks, expanded into one job per trainer.

use serde::{Deserialize, Serialize};

use super::field::{ConfigError, Field};
use crate::data::{self, DatasetName, Prepared, SplitConfig, SplitError};
use crate::model::{Activation, Init, Variant, MAX_DEPTH, SHALLOW_DEPTH};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum OptimizerKind {
    Sgd,
    Adam,
}

impl std::fmt::Display for OptimizerKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            OptimizerKind::Sgd => "sgd",
            OptimizerKind::Adam => "adam",
        })
    }
}

/// A setting that a sweep varies, one trainer pair per value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SweepParam {
    LearningRate,
    InitSigma,
    BatchSize,
    /// Multiplies the scale of a Glorot or He init (1 = the fair baseline).
    InitGain,
    /// Hidden layers of 100 units.
    Depth,
}

impl SweepParam {
    pub fn as_str(self) -> &'static str {
        match self {
            SweepParam::LearningRate => "learning rate",
            SweepParam::InitSigma => "init sigma",
            SweepParam::BatchSize => "batch size",
            SweepParam::InitGain => "init gain",
            SweepParam::Depth => "depth",
        }
    }
}

/// `lr · (batch_size / reference)^power`: power 1 is the linear scaling rule (Goyal et al.
/// 2017), 0.5 the square-root rule (Hoffer et al. 2017) that keeps the gradient noise of
/// plain SGD about constant across batch sizes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LrScaling {
    pub reference: usize,
    pub power: f64,
}

impl LrScaling {
    pub fn factor(self, batch_size: usize) -> f64 {
        (batch_size as f64 / self.reference.max(1) as f64).powf(self.power)
    }
}

/// One process's share of a grid (`bnlab run --task K --tasks N`): a block of the run's
/// (point, seed) pairs in `jobs()` order, each pair with every variant, so pairs stay paired.
/// Every other setting is the whole grid's, so the slices of one grid can be pooled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Slice {
    pub task: usize,
    pub tasks: usize,
    /// First pair (`point · seeds + seed − first seed`) and how many pairs.
    pub first: usize,
    pub count: usize,
    /// The grid's axes beyond the run's own sweep, `(flag name, values)`, the same in every
    /// slice of one grid: a run's values on them are its settings.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub axes: Vec<(String, Vec<f64>)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    pub param: SweepParam,
    pub values: Vec<f64>,
}

/// Everything needed to reproduce a run; saved as `config.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub preset: String,
    pub dataset: DatasetName,
    pub split: SplitConfig,
    pub variants: Vec<Variant>,
    pub activation: Activation,
    /// Hidden layers of 100 units: 3 (the paper's net) or 10 (the deep net).
    pub depth: usize,
    pub init: Init,
    pub optimizer: OptimizerKind,
    pub lr: f64,
    /// SGD momentum; 0 is plain SGD.
    pub momentum: f64,
    pub batch_size: usize,
    /// Total optimizer steps; when absent, `epochs` decides.
    pub steps: Option<u64>,
    pub epochs: f64,
    pub seed: u64,
    /// Seeds per variant: `seed`, `seed + 1`, ...
    pub seeds: usize,
    /// Steps between logged training metrics (means over the interval).
    pub log_every: u64,
    /// Steps between validation passes; 0 picks about four per epoch.
    pub eval_every: u64,
    /// Steps between internal probes; 0 turns them off.
    pub probe_every: u64,
    /// Steps between loss-landscape probes (smoothness preset); 0 turns them off.
    pub smooth_every: u64,
    pub sweep: Option<Sweep>,
    /// Trainers run at once (each on one thread).
    pub parallel: usize,
    /// When set, each job's learning rate is scaled with its batch size, so a batch-size
    /// sweep gives every size a comparable rate.
    #[serde(default)]
    pub lr_scaling: Option<LrScaling>,
    /// Also measure loss and accuracy on a fixed part of the training set in inference mode
    /// at each evaluation, so train and validation accuracy are measured alike.
    #[serde(default)]
    pub train_eval: bool,
    /// Train through dfdx's own ops rather than the fused ones. Left out of `config.json`
    /// when off, so configs written before it existed and after read and write the same.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub reference_ops: bool,
    /// Before training, the mean per-layer gradient norm over this many batches of the first
    /// epoch (Yang et al. 2019's gradients at initialization); 0 turns it off. Left out of
    /// `config.json` when off, like every setting added after the first runs were saved.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub init_grad_batches: usize,
    /// Steps between internal-covariate-shift probes (Santurkar et al. 2018); 0 turns them off.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ics_every: u64,
    /// A Glorot or He init follows the activation (`Init::suited_to`), so a preset whose fair
    /// baseline is "the init suited to the activation" stays fair when the activation changes.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub init_suited: bool,
    /// Inverted dropout's rate in the dropout variants (the others ignore it).
    #[serde(
        default = "default_dropout",
        skip_serializing_if = "is_default_dropout"
    )]
    pub dropout: f64,
    /// Set when the run is one slice of a grid; left out of `config.json` otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slice: Option<Slice>,
    /// Fault injection for tests: the trainer of this variant panics at this step.
    #[cfg(feature = "fault-injection")]
    #[serde(skip)]
    pub inject_panic: Option<(crate::model::Variant, u64)>,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            preset: "custom".into(),
            dataset: DatasetName::Mnist5k,
            split: SplitConfig::new(1),
            variants: vec![Variant::Plain, Variant::Bn],
            activation: Activation::Sigmoid,
            depth: SHALLOW_DEPTH,
            init: Init::Default,
            optimizer: OptimizerKind::Sgd,
            lr: 0.1,
            momentum: 0.0,
            batch_size: 60,
            steps: None,
            epochs: 5.0,
            seed: 1,
            seeds: 1,
            log_every: 10,
            eval_every: 0,
            probe_every: 0,
            smooth_every: 0,
            sweep: None,
            parallel: 2,
            lr_scaling: None,
            train_eval: false,
            reference_ops: false,
            init_grad_batches: 0,
            ics_every: 0,
            init_suited: false,
            dropout: DEFAULT_DROPOUT,
            slice: None,
            #[cfg(feature = "fault-injection")]
            inject_panic: None,
        }
    }
}

/// Hinton et al.'s rate for hidden units, and the model's default.
pub const DEFAULT_DROPOUT: f64 = 0.5;

fn default_dropout() -> f64 {
    DEFAULT_DROPOUT
}

fn is_default_dropout(v: &f64) -> bool {
    *v == DEFAULT_DROPOUT
}

fn is_zero<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

fn bad(field: Field, message: impl Into<String>) -> ConfigError {
    ConfigError::new(field, message)
}

impl RunConfig {
    /// Checks every value a user can set; the error names the setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(bad(
                Field::Lr,
                format!("must be a positive number, got {}", self.lr),
            ));
        }
        if self.lr as f32 == 0.0 {
            let msg = format!(
                "{:e} is 0 in single precision, which training uses",
                self.lr
            );
            return Err(bad(Field::Lr, msg));
        }
        if self.lr > 100.0 {
            return Err(bad(
                Field::Lr,
                format!("{} is far too large (at most 100)", self.lr),
            ));
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return Err(bad(
                Field::Momentum,
                format!("must be in [0, 1), got {}", self.momentum),
            ));
        }
        if self.batch_size == 0 || self.batch_size > 10_000 {
            return Err(bad(
                Field::BatchSize,
                format!("must be between 1 and 10000, got {}", self.batch_size),
            ));
        }
        if self.steps == Some(0) {
            return Err(bad(Field::Steps, "must be at least 1"));
        }
        if !(self.epochs.is_finite() && self.epochs > 0.0 && self.epochs <= 1000.0) {
            return Err(bad(
                Field::Epochs,
                format!("must be in (0, 1000], got {}", self.epochs),
            ));
        }
        if self.variants.is_empty() {
            return Err(bad(
                Field::Variants,
                "name at least one of plain, bn, bn-after",
            ));
        }
        if self.seeds == 0 || self.seeds > 100 {
            return Err(bad(
                Field::Seeds,
                format!("must be between 1 and 100, got {}", self.seeds),
            ));
        }
        // Jobs use seeds `seed .. seed + seeds`; past u64::MAX they would wrap (or panic in debug).
        if self.seed.checked_add(self.seeds as u64 - 1).is_none() {
            return Err(bad(
                Field::Seed,
                format!(
                    "{} + {} seeds runs past the largest seed {}",
                    self.seed,
                    self.seeds,
                    u64::MAX
                ),
            ));
        }
        if !(1..=MAX_DEPTH).contains(&self.depth) {
            return Err(bad(
                Field::Depth,
                format!("must be 1 to {MAX_DEPTH} hidden layers, got {}", self.depth),
            ));
        }
        if let Init::Glorot { gain } | Init::He { gain } = self.init {
            if !(gain.is_finite() && gain > 0.0 && gain <= 100.0) {
                return Err(bad(
                    Field::InitSigma,
                    format!("the init gain must be in (0, 100], got {gain}"),
                ));
            }
        }
        if let Init::Gaussian { sigma } = self.init {
            if !(sigma.is_finite() && sigma > 0.0 && sigma <= 100.0) {
                return Err(bad(
                    Field::InitSigma,
                    format!("must be in (0, 100], got {sigma}"),
                ));
            }
        }
        // Training uses single precision, where a rate just under 1 rounds to 1.
        if !((0.0..1.0).contains(&self.dropout) && (self.dropout as f32) < 1.0) {
            return Err(bad(
                Field::Dropout,
                format!("the dropout rate must be in [0, 1), got {}", self.dropout),
            ));
        }
        if self.log_every == 0 {
            return Err(bad(Field::LogEvery, "must be at least 1"));
        }
        if self.parallel == 0 {
            return Err(bad(Field::Parallel, "must be at least 1"));
        }
        if let Some(s) = &self.sweep {
            if s.values.is_empty() {
                return Err(bad(Field::Sweep, "has no values"));
            }
            for &v in &s.values {
                let whole = |max: f64| v.fract() == 0.0 && v <= max;
                let ok = v.is_finite()
                    && v > 0.0
                    && match s.param {
                        SweepParam::BatchSize => whole(10_000.0),
                        SweepParam::Depth => whole(MAX_DEPTH as f64),
                        _ => true,
                    };
                if !ok {
                    return Err(bad(
                        Field::Sweep,
                        format!("{v} is not a valid {}", s.param.as_str()),
                    ));
                }
            }
        }
        if let Some(sl) = &self.slice {
            let pairs = self.sweep.as_ref().map_or(1, |s| s.values.len()) * self.seeds;
            if sl.count == 0 || sl.first.saturating_add(sl.count) > pairs || sl.task >= sl.tasks {
                let msg = format!(
                    "task {} of {} holds pairs {}..{} of a grid of {pairs}",
                    sl.task,
                    sl.tasks,
                    sl.first,
                    sl.first.saturating_add(sl.count)
                );
                return Err(bad(Field::Seeds, msg));
            }
        }
        // Batch statistics of one value have no variance (PyTorch refuses this too).
        let smallest = match &self.sweep {
            Some(s) if s.param == SweepParam::BatchSize => {
                s.values.iter().fold(f64::MAX, |a, &v| a.min(v))
            }
            _ => self.batch_size as f64,
        };
        if let Some(v) = self
            .variants
            .iter()
            .find(|v| v.has_bn())
            .filter(|_| smallest < 2.0)
        {
            let field = if self.sweep.is_some() && smallest != self.batch_size as f64 {
                Field::Sweep
            } else {
                Field::BatchSize
            };
            return Err(bad(field, format!("{v} needs batches of at least 2: Expected more than 1 value per channel when training")));
        }
        Ok(())
    }

    /// With `init_suited`, a Glorot or He init becomes the one suited to the activation, at
    /// the same gain; an explicit Gaussian init is left as the user set it.
    pub fn suit_init(&mut self) {
        self.init = self.suited_init();
    }

    fn suited_init(&self) -> Init {
        match (self.init_suited, self.init) {
            (true, Init::Glorot { gain } | Init::He { gain }) => {
                Init::suited_to(self.activation, gain)
            }
            (_, init) => init,
        }
    }

    /// Expands the run into its jobs: sweep points, then seeds, then variants, so that the
    /// paired trainers of one point and seed sit next to each other and run at the same time.
    pub fn jobs(&self) -> Vec<JobSpec> {
        let points: Vec<Option<f64>> = match &self.sweep {
            Some(s) => s.values.iter().map(|&v| Some(v)).collect(),
            None => vec![None],
        };
        let mut out = Vec::new();
        for (point, value) in points.iter().enumerate() {
            for s in 0..self.seeds {
                let pair = point * self.seeds + s;
                if let Some(sl) = &self.slice {
                    if pair < sl.first || pair >= sl.first + sl.count {
                        continue;
                    }
                }
                for &variant in &self.variants {
                    let mut job = JobSpec {
                        id: JobId {
                            variant,
                            seed: self.seed + s as u64,
                            point,
                        },
                        point_value: *value,
                        lr: self.lr,
                        init: self.suited_init(),
                        batch_size: self.batch_size,
                        depth: self.depth,
                    };
                    if let (Some(sw), Some(v)) = (&self.sweep, value) {
                        match sw.param {
                            SweepParam::LearningRate => job.lr = *v,
                            SweepParam::InitSigma => job.init = Init::Gaussian { sigma: *v as f32 },
                            SweepParam::BatchSize => job.batch_size = *v as usize,
                            SweepParam::InitGain => job.init = job.init.with_gain(*v as f32),
                            SweepParam::Depth => job.depth = *v as usize,
                        }
                    }
                    if let Some(sc) = self.lr_scaling {
                        job.lr *= sc.factor(job.batch_size);
                    }
                    out.push(job);
                }
            }
        }
        out
    }

    pub fn steps_per_epoch(&self, train_len: usize, batch_size: usize) -> u64 {
        (train_len / batch_size.max(1)).max(1) as u64
    }

    pub fn total_steps(&self, train_len: usize, batch_size: usize) -> u64 {
        self.steps.unwrap_or_else(|| {
            (self.epochs * self.steps_per_epoch(train_len, batch_size) as f64).ceil() as u64
        })
    }

    pub fn eval_interval(&self, train_len: usize, batch_size: usize) -> u64 {
        if self.eval_every > 0 {
            self.eval_every
        } else {
            (self.steps_per_epoch(train_len, batch_size) / 4).clamp(10, 500)
        }
    }
}

impl RunConfig {
    /// Loads the data this run asks for and cuts its splits; a split that cannot hold what
    /// the settings ask for is a `ConfigError` naming the setting.
    pub fn prepare_data(&self, data_dir: Option<&std::path::Path>) -> anyhow::Result<Prepared> {
        let raw = data::load(self.dataset, data_dir)?;
        data::prepare_checked(&raw, &self.split, self.batch_size).map_err(|e| {
            let field = match e {
                SplitError::ValSize { .. } => Field::ValSize,
                SplitError::BatchTooLarge { .. } => Field::BatchSize,
            };
            ConfigError::new(field, e.to_string()).into()
        })
    }
}

/// Which trainer: the variant, its seed and its sweep point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct JobId {
    pub variant: Variant,
    pub seed: u64,
    pub point: usize,
}

/// One trainer's resolved settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct JobSpec {
    pub id: JobId,
    pub point_value: Option<f64>,
    pub lr: f64,
    pub init: Init,
    pub batch_size: usize,
    /// Hidden layers of this job's net (a depth sweep sets it per point).
    pub depth: usize,
}

#[cfg(test)]
#[path = "config_tests.rs"]
mod tests;
