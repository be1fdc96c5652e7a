//! Command-line interface definitions.

pub mod run;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::data::DatasetName;
use crate::model::{Activation, Init, Variant};
use crate::presets;
use crate::runs::grid::{self, AxisParam, Grid};
use crate::train::{ConfigError, Field, OptimizerKind, RunConfig, SweepParam};
use crate::usage::UsageError;

#[derive(Debug, Parser)]
#[command(
    name = "bnlab",
    version,
    about = "Watch a plain MLP and the same MLP with Batch Normalization learn side by side",
    long_about = "Without a command, bnlab opens the terminal UI. `bnlab run` trains headless."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// Folder holding the four MNIST-style IDX files of the chosen dataset.
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Train the variants of a preset headless and save the run.
    #[command(after_help = RUN_EXIT_CODES)]
    Run(Box<RunArgs>),
    /// List the experiments.
    Presets,
    /// Write report.md with charts and a discussion for run folders.
    Report(crate::report::cmd::ReportArgs),
    /// List, download and verify datasets.
    Data(crate::data::cmd::DataArgs),
    /// Measure training and inference speed.
    Bench(crate::bench::BenchArgs),
}

/// What `bnlab run` exits with, for scripts (also in the README).
pub const RUN_EXIT_CODES: &str = "Grids and clusters (docs/cluster.md):
  bnlab run --preset ioffe2015 --sweep lr=0.1,0.5 --seeds 3 --plan   list the 6 tasks
  bnlab run --preset ioffe2015 --sweep lr=0.1,0.5 --seeds 3 --task 4 --tasks 6 --json
  bnlab report DIR...   pools the task folders of one grid into one analysis
A task is one sweep point and seed with every variant, so each pair stays paired. Under a
Slurm job array, SLURM_ARRAY_TASK_ID (minus SLURM_ARRAY_TASK_MIN) and SLURM_ARRAY_TASK_COUNT
give --task and --tasks unless the flags are given.

Exit codes:
  0    every trainer finished (or diverged, which is a result) and the run was saved
  1    a failure: missing or damaged data, an unreadable file
  2    a usage error: a flag value out of range, named in the message
  3    the run could not be saved under --out nor any fallback folder (the table is printed)
  130  interrupted by SIGINT (Ctrl-C); what was measured is saved as interrupted
  143  interrupted by SIGTERM; likewise saved";

#[derive(Debug, Args, Clone, Default)]
pub struct RunArgs {
    /// Experiment to run (see `bnlab presets`).
    #[arg(long, default_value = "ioffe2015")]
    pub preset: String,
    /// Dataset; default: full MNIST when found, else the embedded mnist-5k.
    #[arg(long, value_enum)]
    pub dataset: Option<DatasetName>,
    #[arg(long, allow_negative_numbers = true)]
    pub epochs: Option<f64>,
    /// Total optimizer steps (overrides --epochs).
    #[arg(long)]
    pub steps: Option<u64>,
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seeds per variant (seed, seed+1, ...).
    #[arg(long)]
    pub seeds: Option<usize>,
    /// Learning rate.
    #[arg(long, allow_negative_numbers = true)]
    pub lr: Option<f64>,
    #[arg(long, allow_negative_numbers = true)]
    pub momentum: Option<f64>,
    #[arg(long)]
    pub batch_size: Option<usize>,
    #[arg(long, value_enum)]
    pub optimizer: Option<OptimizerKind>,
    #[arg(long, value_enum)]
    pub activation: Option<Activation>,
    /// Comma-separated: plain,bn,bn-after.
    #[arg(long, value_enum, value_delimiter = ',')]
    pub variants: Option<Vec<Variant>>,
    /// Gaussian init N(0, sigma²) for the weights.
    #[arg(long, allow_negative_numbers = true)]
    pub init_sigma: Option<f32>,
    /// Hidden layers, 1 to 60.
    #[arg(long)]
    pub depth: Option<usize>,
    /// Dropout rate of the dropout variants, in [0, 1) (default 0.5).
    #[arg(long, allow_negative_numbers = true)]
    pub dropout: Option<f64>,
    /// Validation images (default 5000 for full MNIST, 20% for mnist-5k).
    #[arg(long)]
    pub val_size: Option<usize>,
    /// Keep only this many training images (stratified).
    #[arg(long)]
    pub train_limit: Option<usize>,
    /// Standardize pixels with the training mean and std instead of scaling to [0, 1].
    #[arg(long)]
    pub standardize: bool,
    #[arg(long)]
    pub eval_every: Option<u64>,
    #[arg(long)]
    pub log_every: Option<u64>,
    /// Steps between internal probes (0: off).
    #[arg(long)]
    pub probe_every: Option<u64>,
    /// Trainers at once (default 2: one per core).
    #[arg(long)]
    pub parallel: Option<usize>,
    /// Train through dfdx's own ops instead of the fused ones (slower; to compare the two).
    #[arg(long)]
    pub reference_ops: bool,
    /// Parent folder of the run folder.
    #[arg(long, default_value = crate::runs::DEFAULT_DIR)]
    pub out: PathBuf,
    /// No progress bar.
    #[arg(long, short)]
    pub quiet: bool,
    /// Sweep a setting, PARAM=V1,V2,... (repeatable; PARAM: lr, momentum, batch-size,
    /// init-sigma, init-gain, depth), on top of the preset's own sweep: the grid is every
    /// combination, times --seeds.
    #[arg(long = "sweep", value_name = "PARAM=V1,V2,...")]
    pub sweep: Vec<String>,
    /// Print the grid's tasks, one line each (`K/N  point seed, ...`), and train nothing.
    #[arg(long)]
    pub plan: bool,
    /// Train only task K (from 0) of --tasks N: a contiguous block of the grid's (point, seed)
    /// pairs, each with every variant. Default: $SLURM_ARRAY_TASK_ID.
    #[arg(long, value_name = "K")]
    pub task: Option<usize>,
    /// Cut the grid into N tasks (at most one per point and seed).
    /// Default: $SLURM_ARRAY_TASK_COUNT.
    #[arg(long, value_name = "N")]
    pub tasks: Option<usize>,
    /// Make the last line of stdout one JSON object: run folder(s), status, and per variant
    /// and point the final and best validation accuracy, test accuracy and steps to
    /// 90/95/97%, per seed and over seeds.
    #[arg(long)]
    pub json: bool,
}

/// The flag that sets a run setting, for messages about the command line.
pub fn flag(field: Field) -> &'static str {
    match field {
        Field::Preset => "--preset",
        Field::Dataset => "--dataset",
        Field::Lr => "--lr",
        Field::Momentum => "--momentum",
        Field::BatchSize => "--batch-size",
        Field::Steps => "--steps",
        Field::Epochs => "--epochs",
        Field::Variants => "--variants",
        Field::Seeds => "--seeds",
        Field::Seed => "--seed",
        Field::Depth => "--depth",
        Field::InitSigma => "--init-sigma",
        Field::LogEvery => "--log-every",
        Field::Parallel => "--parallel",
        Field::Sweep => "--sweep",
        Field::TrainLimit => "--train-limit",
        Field::ValSize => "--val-size",
        Field::Dropout => "--dropout",
    }
}

/// A setting's error in the command line's terms: the flag that sets it.
pub fn usage(e: &ConfigError) -> UsageError {
    UsageError::new(flag(e.field), e.message.clone())
}

/// The value of an environment variable as a count, or a usage error naming it.
fn env_number(
    env: &dyn Fn(&str) -> Option<String>,
    name: &str,
) -> Result<Option<usize>, UsageError> {
    match env(name) {
        None => Ok(None),
        Some(v) => v.trim().parse().map(Some).map_err(|_| {
            UsageError::new(
                name,
                format!("`{v}` is not a task number (a whole number from 0)"),
            )
        }),
    }
}

impl RunArgs {
    /// The grid of `config` (the preset with the flags applied) and the `--sweep` axes. A
    /// setting given both as a flag and as a sweep is refused: one would silently win.
    pub fn grid(&self, config: &RunConfig) -> Result<Grid, UsageError> {
        let axes = self
            .sweep
            .iter()
            .map(|s| grid::parse_axis(s))
            .collect::<Result<Vec<_>, _>>()?;
        for a in &axes {
            let given = match a.param {
                AxisParam::Lr => self.lr.is_some().then_some("--lr"),
                AxisParam::Momentum => self.momentum.is_some().then_some("--momentum"),
                AxisParam::BatchSize => self.batch_size.is_some().then_some("--batch-size"),
                AxisParam::InitSigma | AxisParam::InitGain => {
                    self.init_sigma.is_some().then_some("--init-sigma")
                }
                AxisParam::Depth => self.depth.is_some().then_some("--depth"),
            };
            if let Some(flag) = given {
                let msg = format!(
                    "{} is swept, so {flag} would be overridden; drop one",
                    a.param.name()
                );
                return Err(UsageError::new("--sweep", msg));
            }
        }
        Grid::new(config, axes)
    }

    /// `(task, tasks)` from the flags, else from a Slurm job array's variables; `None` is
    /// the whole grid, a task of `None` all tasks (which only `--plan` accepts). `env` reads
    /// the environment (a parameter, for tests).
    #[allow(clippy::type_complexity)]
    pub fn slice(
        &self,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Option<(Option<usize>, usize)>, UsageError> {
        let id = env_number(env, "SLURM_ARRAY_TASK_ID")?;
        let min = env_number(env, "SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let count = env_number(env, "SLURM_ARRAY_TASK_COUNT")?;
        let from_slurm = |id: usize| {
            id.checked_sub(min).map(Some).ok_or_else(|| {
                let msg = format!("{id} is below SLURM_ARRAY_TASK_MIN {min}");
                UsageError::new("SLURM_ARRAY_TASK_ID", msg)
            })
        };
        match (self.task, self.tasks) {
            (Some(k), Some(n)) => Ok(Some((Some(k), n))),
            (Some(_), None) => Err(UsageError::new(
                "--task",
                "needs --tasks N, the number of tasks",
            )),
            (None, Some(n)) => match id {
                Some(id) if !self.plan => Ok(Some((from_slurm(id)?, n))),
                _ => Ok(Some((None, n))),
            },
            (None, None) => match (id, count) {
                (Some(id), Some(n)) => Ok(Some((from_slurm(id)?, n))),
                _ => Ok(None),
            },
        }
    }

    /// The preset's config with the flags applied on top, validated.
    pub fn to_config(&self, dataset: DatasetName) -> Result<RunConfig, ConfigError> {
        let preset = presets::find(&self.preset).ok_or_else(|| {
            ConfigError::new(
                Field::Preset,
                format!(
                    "unknown preset `{}` (known: {})",
                    self.preset,
                    presets::names()
                ),
            )
        })?;
        let mut c = preset.config(dataset);
        // A preset that sweeps a setting would silently override the flag that sets it.
        if let Some(sw) = &c.sweep {
            let (field, given) = match sw.param {
                SweepParam::LearningRate => (Field::Lr, self.lr.is_some()),
                SweepParam::InitSigma => (Field::InitSigma, self.init_sigma.is_some()),
                SweepParam::BatchSize => (Field::BatchSize, self.batch_size.is_some()),
                // The gain scales the preset's init; a sigma would replace the init it scales.
                SweepParam::InitGain => (Field::InitSigma, self.init_sigma.is_some()),
                SweepParam::Depth => (Field::Depth, self.depth.is_some()),
            };
            if given {
                let what = sw.param.as_str();
                let msg = format!(
                    "the {} preset sweeps the {what}; choose another preset to set it",
                    preset.name
                );
                return Err(ConfigError::new(field, msg));
            }
        }
        if let Some(v) = self.steps {
            c.steps = Some(v);
        }
        if let Some(v) = self.epochs {
            c.epochs = v;
            if self.steps.is_none() {
                c.steps = None;
            }
        }
        if let Some(v) = self.seed {
            c.seed = v;
            c.split.seed = v;
        }
        if let Some(v) = self.seeds {
            c.seeds = v;
        }
        if let Some(v) = self.lr {
            c.lr = v;
        }
        if let Some(v) = self.momentum {
            c.momentum = v;
        }
        if let Some(v) = self.batch_size {
            c.batch_size = v;
        }
        if let Some(v) = self.optimizer {
            c.optimizer = v;
        }
        if let Some(v) = self.activation {
            c.activation = v;
        }
        if let Some(v) = &self.variants {
            let mut v = v.clone();
            v.dedup();
            c.variants = v;
        }
        if let Some(s) = self.init_sigma {
            c.init = Init::Gaussian { sigma: s };
        }
        if let Some(v) = self.depth {
            c.depth = v;
        }
        if let Some(v) = self.dropout {
            c.dropout = v;
        }
        if let Some(v) = self.val_size {
            c.split.val_size = Some(v);
        }
        if let Some(v) = self.train_limit {
            if v == 0 {
                return Err(ConfigError::new(Field::TrainLimit, "must be at least 1"));
            }
            c.split.train_limit = Some(v);
        }
        c.split.standardize |= self.standardize;
        c.reference_ops |= self.reference_ops;
        if let Some(v) = self.eval_every {
            c.eval_every = v;
        }
        if let Some(v) = self.log_every {
            c.log_every = v;
        }
        if let Some(v) = self.probe_every {
            c.probe_every = v;
        }
        if let Some(v) = self.parallel {
            c.parallel = v;
        }
        c.suit_init();
        c.validate()?;
        Ok(c)
    }
}
