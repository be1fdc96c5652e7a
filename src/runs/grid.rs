//! Grids beyond a preset's own sweep (`--sweep PARAM=V1,V2,…`), cut into slices that one
//! process each can run (`--task K --tasks N`, or a Slurm job array).
//!
//! A grid's unit of work is a *pair*: one cell, one sweep point and one seed, with every
//! variant, so that whichever process trains a pair trains both sides of its comparison.
//! The first axis a run can vary per trainer (learning rate, batch size, init sigma or
//! gain) becomes the run's own sweep when the preset has none; the other axes make *cells*,
//! each a run of its own with those values as its settings.

use std::ops::Range;

use crate::model::Init;
use crate::train::{RunConfig, Slice, Sweep, SweepParam};
use crate::usage::UsageError;

/// A setting a grid can vary.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AxisParam {
    Lr,
    Momentum,
    BatchSize,
    InitSigma,
    InitGain,
    Depth,
}

pub const AXIS_NAMES: &str = "lr, momentum, batch-size, init-sigma, init-gain, depth";

impl AxisParam {
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "lr" | "learning-rate" => Self::Lr,
            "momentum" => Self::Momentum,
            "batch-size" => Self::BatchSize,
            "init-sigma" => Self::InitSigma,
            "init-gain" => Self::InitGain,
            "depth" => Self::Depth,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Lr => "lr",
            Self::Momentum => "momentum",
            Self::BatchSize => "batch-size",
            Self::InitSigma => "init-sigma",
            Self::InitGain => "init-gain",
            Self::Depth => "depth",
        }
    }

    /// The key of `config.json` this axis sets, so that pooling can tell a grid's cells
    /// apart from runs that differ in something else.
    pub fn config_key(self) -> &'static str {
        match self {
            Self::Lr => "lr",
            Self::Momentum => "momentum",
            Self::BatchSize => "batch_size",
            Self::InitSigma | Self::InitGain => "init",
            Self::Depth => "depth",
        }
    }

    /// The run's own sweep parameter, when trainers of one run can differ in it.
    pub fn sweep_param(self) -> Option<SweepParam> {
        match self {
            Self::Lr => Some(SweepParam::LearningRate),
            Self::BatchSize => Some(SweepParam::BatchSize),
            Self::InitSigma => Some(SweepParam::InitSigma),
            Self::InitGain => Some(SweepParam::InitGain),
            Self::Momentum | Self::Depth => None,
        }
    }

    fn integer(self) -> bool {
        matches!(self, Self::BatchSize | Self::Depth)
    }

    /// Whether the preset's sweep already decides this setting per trainer.
    fn clashes_with(self, sweep: SweepParam) -> bool {
        match sweep {
            SweepParam::LearningRate => self == Self::Lr,
            SweepParam::BatchSize => self == Self::BatchSize,
            // Both replace or scale the init, so one would undo the other.
            SweepParam::InitSigma | SweepParam::InitGain => {
                matches!(self, Self::InitSigma | Self::InitGain)
            }
            SweepParam::Depth => self == Self::Depth,
        }
    }

    fn apply(self, c: &mut RunConfig, v: f64) {
        match self {
            Self::Lr => c.lr = v,
            Self::Momentum => c.momentum = v,
            Self::BatchSize => c.batch_size = v as usize,
            Self::InitSigma => c.init = Init::Gaussian { sigma: v as f32 },
            Self::InitGain => c.init = c.init.with_gain(v as f32),
            Self::Depth => c.depth = v as usize,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Axis {
    pub param: AxisParam,
    pub values: Vec<f64>,
}

fn usage(msg: String) -> UsageError {
    UsageError::new("--sweep", msg)
}

/// `PARAM=V1,V2,…`.
pub fn parse_axis(text: &str) -> Result<Axis, UsageError> {
    let (name, list) = text.split_once('=').ok_or_else(|| {
        usage(format!(
            "`{text}` is not PARAM=V1,V2,… (PARAM: {AXIS_NAMES})"
        ))
    })?;
    let param = AxisParam::parse(name.trim())
        .ok_or_else(|| usage(format!("unknown parameter `{name}` (known: {AXIS_NAMES})")))?;
    let mut values = Vec::new();
    for v in list.split(',') {
        let x: f64 = v
            .trim()
            .parse()
            .map_err(|_| usage(format!("{name}: `{v}` is not a number")))?;
        let ok = x.is_finite() && (x > 0.0 || param == AxisParam::Momentum && x == 0.0);
        if !ok || (param.integer() && x.fract() != 0.0) {
            let kind = if param.integer() {
                "a positive whole number"
            } else if param == AxisParam::Momentum {
                "a number of at least 0"
            } else {
                "a positive number"
            };
            return Err(usage(format!("{name}: `{v}` is not {kind}")));
        }
        if values.contains(&x) {
            return Err(usage(format!("{name}: {x} is listed twice")));
        }
        values.push(x);
    }
    Ok(Axis { param, values })
}

/// One run of the grid: its values on the grid's outer axes and its config (unsliced).
#[derive(Debug, Clone)]
pub struct Cell {
    pub values: Vec<(AxisParam, f64)>,
    pub config: RunConfig,
}

impl Cell {
    /// `depth=10 momentum=0.9`, empty for a grid of one cell.
    pub fn label(&self) -> String {
        self.values
            .iter()
            .map(|(p, v)| format!("{}={v}", p.name()))
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// One unit of work: a cell, a sweep point of it and a seed offset.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pair {
    pub cell: usize,
    pub point: usize,
    pub seed: usize,
}

#[derive(Debug, Clone)]
pub struct Grid {
    /// Axes beyond the run's own sweep, in flag order.
    pub outer: Vec<Axis>,
    pub cells: Vec<Cell>,
}

impl Grid {
    /// The grid of `base` (a preset with the flags applied) and the `--sweep` axes; each
    /// cell's settings are validated, and an error names the value that is wrong.
    pub fn new(base: &RunConfig, axes: Vec<Axis>) -> Result<Self, UsageError> {
        let mut base = base.clone();
        let mut outer: Vec<Axis> = Vec::new();
        let preset_sweeps = base.sweep.is_some();
        for a in axes {
            if let Some(sw) = base
                .sweep
                .as_ref()
                .filter(|sw| a.param.clashes_with(sw.param))
            {
                let msg = if preset_sweeps {
                    format!(
                        "the {} preset sweeps the {} already; sweep another setting",
                        base.preset,
                        sw.param.as_str()
                    )
                } else {
                    format!("the {} is swept twice", sw.param.as_str())
                };
                return Err(usage(msg));
            }
            if a.param == AxisParam::InitGain && base.init == Init::Default {
                let msg = "init-gain scales a Gaussian, Glorot or He init, and this run uses \
                           the default one; sweep init-sigma instead";
                return Err(usage(msg.into()));
            }
            if outer
                .iter()
                .any(|o| o.param.config_key() == a.param.config_key())
            {
                return Err(usage(format!("{} is swept twice", a.param.name())));
            }
            match a.param.sweep_param() {
                Some(p) if base.sweep.is_none() => {
                    base.sweep = Some(Sweep {
                        param: p,
                        values: a.values,
                    })
                }
                _ => outer.push(a),
            }
        }
        let mut cells = vec![Cell {
            values: Vec::new(),
            config: base,
        }];
        for a in &outer {
            cells = cells
                .into_iter()
                .flat_map(|c| {
                    a.values.iter().map(move |&v| {
                        let mut c = c.clone();
                        a.param.apply(&mut c.config, v);
                        c.values.push((a.param, v));
                        c
                    })
                })
                .collect();
        }
        for c in &cells {
            c.config.validate().map_err(|e| {
                let at = if c.values.is_empty() {
                    "the swept values".to_string()
                } else {
                    c.label()
                };
                usage(format!("{at}: {} {}", e.field.key(), e.message))
            })?;
        }
        Ok(Self { outer, cells })
    }

    /// Pairs of one cell: sweep points times seeds.
    pub fn pairs_per_cell(&self) -> usize {
        let c = &self.cells[0].config;
        c.sweep.as_ref().map_or(1, |s| s.values.len()) * c.seeds
    }

    /// Every pair, cell by cell, in the order of each cell's `jobs()`.
    pub fn pairs(&self) -> Vec<Pair> {
        let seeds = self.cells[0].config.seeds;
        (0..self.cells.len() * self.pairs_per_cell())
            .map(|i| {
                let (cell, rest) = (i / self.pairs_per_cell(), i % self.pairs_per_cell());
                Pair {
                    cell,
                    point: rest / seeds,
                    seed: rest % seeds,
                }
            })
            .collect()
    }

    /// Pairs `[K·P/N, (K+1)·P/N)`: contiguous, so a slice spans as few cells as it can, and
    /// balanced, so no two slices differ by more than one pair.
    pub fn slice_range(&self, task: usize, tasks: usize) -> Result<Range<usize>, UsageError> {
        let total = self.pairs().len();
        if tasks == 0 {
            return Err(UsageError::new("--tasks", "must be at least 1"));
        }
        if tasks > total {
            let msg = format!(
                "{tasks} tasks for a grid of {total} (point, seed) pairs would leave some \
                 with nothing to do; use at most {total}"
            );
            return Err(UsageError::new("--tasks", msg));
        }
        if task >= tasks {
            let msg = format!(
                "task {task} is not one of 0..{} (tasks count from 0)",
                tasks - 1
            );
            return Err(UsageError::new("--task", msg));
        }
        Ok(task * total / tasks..(task + 1) * total / tasks)
    }

    /// The runs slice `task` of `tasks` trains: one config per cell it touches, each with
    /// its `Slice`. Without a slice (`None`), a grid of one cell is the plain run.
    pub fn configs(&self, slice: Option<(usize, usize)>) -> Result<Vec<RunConfig>, UsageError> {
        let per = self.pairs_per_cell();
        let (task, tasks, range) = match slice {
            Some((k, n)) => (k, n, self.slice_range(k, n)?),
            None if self.cells.len() == 1 => return Ok(vec![self.cells[0].config.clone()]),
            None => (0, 1, 0..self.cells.len() * per),
        };
        let axes: Vec<(String, Vec<f64>)> = self
            .outer
            .iter()
            .map(|a| (a.param.name().to_string(), a.values.clone()))
            .collect();
        let mut out = Vec::new();
        for (i, cell) in self.cells.iter().enumerate() {
            let cell_pairs = i * per..(i + 1) * per;
            let first = range.start.max(cell_pairs.start);
            let end = range.end.min(cell_pairs.end);
            if first >= end {
                continue;
            }
            let mut c = cell.config.clone();
            c.slice = Some(Slice {
                task,
                tasks,
                first: first - cell_pairs.start,
                count: end - first,
                axes: axes.clone(),
            });
            out.push(c);
        }
        Ok(out)
    }

    /// `depth=10 lr=0.5 seed=3`: one pair, as `--plan` lists it.
    pub fn describe(&self, p: Pair) -> String {
        let cell = &self.cells[p.cell];
        let mut parts = vec![];
        if !cell.values.is_empty() {
            parts.push(cell.label());
        }
        if let Some(sw) = &cell.config.sweep {
            parts.push(format!("{}={}", sweep_flag(sw.param), sw.values[p.point]));
        }
        parts.push(format!("seed={}", cell.config.seed + p.seed as u64));
        parts.join(" ")
    }

    /// One line per task: `K/N  pair, pair, …`.
    pub fn plan(&self, tasks: usize) -> Result<Vec<String>, UsageError> {
        let pairs = self.pairs();
        (0..tasks)
            .map(|k| {
                let r = self.slice_range(k, tasks)?;
                let list: Vec<String> = pairs[r].iter().map(|p| self.describe(*p)).collect();
                Ok(format!("{k}/{tasks}  {}", list.join(", ")))
            })
            .collect()
    }
}

/// A run's values on its grid's outer axes, read from its settings: `depth=10 lr=0.5`.
/// Empty for a run that is no slice of a grid with such axes.
pub fn cell_label(c: &RunConfig) -> String {
    let Some(sl) = &c.slice else {
        return String::new();
    };
    sl.axes
        .iter()
        .filter_map(|(name, _)| {
            let v = match AxisParam::parse(name)? {
                AxisParam::Lr => c.lr.to_string(),
                AxisParam::Momentum => c.momentum.to_string(),
                AxisParam::BatchSize => c.batch_size.to_string(),
                AxisParam::Depth => c.depth.to_string(),
                AxisParam::InitSigma | AxisParam::InitGain => c.init.to_text(),
            };
            Some(format!("{name}={v}"))
        })
        .collect::<Vec<_>>()
        .join(" ")
}

/// The `--sweep` name of a run's own sweep parameter.
pub fn sweep_flag(p: SweepParam) -> &'static str {
    match p {
        SweepParam::LearningRate => "lr",
        SweepParam::InitSigma => "init-sigma",
        SweepParam::BatchSize => "batch-size",
        SweepParam::InitGain => "init-gain",
        SweepParam::Depth => "depth",
    }
}

#[cfg(test)]
#[path = "grid_tests.rs"]
mod tests;
