//! Variants compared seed by seed: which metric, which direction is better, and whether a
//! difference is clear of seed noise.

use super::metrics::JobMetrics;
use super::stats::Estimate;
use crate::model::Variant;

/// Fewest paired seeds for a difference to be called clear: below it a 95% interval from a
/// t distribution with one degree of freedom (or none at all) says too little, and the
/// report says "indicative" and nothing stronger.
pub const MIN_SEEDS_CLEAR: usize = 3;

/// With one seed no interval exists; these stated heuristics say which way a difference
/// leans (indicative only).
pub const ONE_SEED_ACC_PP: f64 = 0.5;
pub const ONE_SEED_RATIO: f64 = 1.2;
pub const ONE_SEED_SPIKE: f64 = 0.1;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A fraction shown in percent; differences in percentage points.
    Accuracy,
    /// A difference of two accuracies, shown in percentage points.
    Points,
    Steps,
    /// Loss in nats (or loss x epochs for areas).
    Loss,
    Seconds,
    Rate,
    Count,
    /// A positive quantity that spans orders of magnitude (landscape probes), 3 significant digits.
    Magnitude,
    /// A factor of at least 1, shown as `×1.23`.
    Factor,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Better {
    Higher,
    Lower,
}

/// How two seeds' values are paired: a difference, or a ratio averaged in log space.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pairing {
    Diff,
    Ratio,
}

/// A number a run is compared by, computed from a trainer's metrics.
pub struct Measure {
    pub key: &'static str,
    pub label: &'static str,
    /// Where the number comes from, for the reader who wants to check it.
    pub source: &'static str,
    pub unit: Unit,
    pub better: Better,
    pub pairing: Pairing,
    pub get: fn(&JobMetrics) -> Option<f64>,
}

fn p1(v: Option<(u64, f64)>) -> Option<f64> {
    v.map(|p| p.1)
}

pub const FINAL_VAL_ACC: Measure = Measure {
    key: "final_val_acc",
    label: "final validation accuracy",
    source: "`val_acc` in metrics.csv, last evaluation",
    unit: Unit::Accuracy,
    better: Better::Higher,
    pairing: Pairing::Diff,
    get: |m| p1(m.final_val_acc),
};
pub const BEST_VAL_ACC: Measure = Measure {
    key: "best_val_acc",
    label: "best validation accuracy",
    source: "`val_acc` in metrics.csv, highest evaluation",
    unit: Unit::Accuracy,
    better: Better::Higher,
    pairing: Pairing::Diff,
    get: |m| p1(m.best_val_acc),
};
pub const TEST_ACC: Measure = Measure {
    key: crate::metric::Metric::TestAcc.base_name(),
    label: "test accuracy",
    source: "`test_acc` in metrics.csv, once at the end",
    unit: Unit::Accuracy,
    better: Better::Higher,
    pairing: Pairing::Diff,
    get: |m| m.test_acc,
};
pub const STEPS_90: Measure = steps_metric(0, "steps_val90", "steps to 90% validation accuracy");
pub const STEPS_95: Measure = steps_metric(1, "steps_val95", "steps to 95% validation accuracy");
pub const STEPS_97: Measure = steps_metric(2, "steps_val97", "steps to 97% validation accuracy");

const fn steps_metric(i: usize, key: &'static str, label: &'static str) -> Measure {
    Measure {
        key,
        label,
        source: "first evaluation in metrics.csv with `val_acc` at or above the threshold",
        unit: Unit::Steps,
        better: Better::Lower,
        pairing: Pairing::Ratio,
        get: match i {
            0 => |m| m.reach[0].map(|r| r.step as f64),
            1 => |m| m.reach[1].map(|r| r.step as f64),
            _ => |m| m.reach[2].map(|r| r.step as f64),
        },
    }
}

pub const VAL_LOSS_AREA: Measure = Measure {
    key: "val_loss_area",
    label: "area under the validation-loss curve",
    source: "`val_loss` in metrics.csv against `epoch`, trapezoids (loss x epochs)",
    unit: Unit::Loss,
    better: Better::Lower,
    pairing: Pairing::Ratio,
    get: |m| m.val_loss_area,
};
pub const GAP: Measure = Measure {
    key: "train_val_gap",
    label: "train - validation accuracy gap",
    source:
        "last `train_eval_acc` (inference mode, fixed training subset) minus last `val_acc`; where a run did not measure it, last `train_acc` (mean over the last log interval, training mode)",
    unit: Unit::Points,
    better: Better::Lower,
    pairing: Pairing::Diff,
    get: |m| m.gap,
};
pub const LOSS_TAIL_STD: Measure = Measure {
    key: "loss_tail_std",
    label: "std of the training loss, last 20% of logs",
    source:
        "`train_loss` in metrics.csv (each a mean over `log_every` steps), trailing 20% of points; in loss units, so it shrinks with the loss level and takes no part in verdicts",
    unit: Unit::Loss,
    better: Better::Lower,
    pairing: Pairing::Ratio,
    get: |m| m.loss_tail_std,
};
pub const LOSS_FLUCT: Measure = Measure {
    key: "loss_log_fluct",
    label: "relative fluctuation of the training loss, last 20% of logs",
    source:
        "`train_loss`, trailing 20% of points: std of ln(loss) around its linear trend in the step (0.1 ≈ ±10%); the same for a loss at any level",
    unit: Unit::Magnitude,
    better: Better::Lower,
    pairing: Pairing::Ratio,
    get: |m| m.loss_log_fluct,
};
pub const SPIKE: Measure = Measure {
    key: "max_loss_spike",
    label: "largest training-loss spike (factor)",
    source: "`train_loss`: largest factor by which it rose above its lowest earlier value (1 = never rose)",
    unit: Unit::Factor,
    better: Better::Lower,
    pairing: Pairing::Ratio,
    get: |m| m.spike.map(|s| s.rise).filter(|r| r.is_finite()),
};
pub const BLOWUPS: Measure = Measure {
    key: "loss_blowups",
    label: "loss blow-ups",
    source: "`train_loss`: times it at least doubled its lowest earlier value, rising by more than 20% of its first value",
    unit: Unit::Count,
    better: Better::Lower,
    pairing: Pairing::Diff,
    get: |m| Some(m.blowups as f64),
};
pub const WALL: Measure = Measure {
    key: "elapsed_s",
    label: "wall time",
    source: "`elapsed_s` in timing.csv (trainers share the CPU)",
    unit: Unit::Seconds,
    better: Better::Lower,
    pairing: Pairing::Ratio,
    get: |m| Some(m.elapsed_s).filter(|v| *v > 0.0),
};
pub const THROUGHPUT: Measure = Measure {
    key: "samples_per_sec",
    label: "training samples per second",
    source: "`samples_per_sec` in timing.csv (last progress window)",
    unit: Unit::Rate,
    better: Better::Higher,
    pairing: Pairing::Ratio,
    get: |m| Some(m.samples_per_sec).filter(|v| *v > 0.0),
};

const fn landscape_metric(
    key: &'static str,
    label: &'static str,
    source: &'static str,
    get: fn(&JobMetrics) -> Option<f64>,
) -> Measure {
    Measure {
        key,
        label,
        source,
        unit: Unit::Magnitude,
        better: Better::Lower,
        pairing: Pairing::Ratio,
        get,
    }
}

pub const SMOOTH_LOSS_RANGE: Measure = landscape_metric(
    crate::metric::Metric::SmoothLossRange.base_name(),
    "loss range along −g (mean over probes)",
    "`smooth_loss_range` in metrics.csv: max − min loss after steps of 0.25–2× the learning rate along −g, same batch",
    |m| m.landscape.loss_range.map(|r| r.all),
);
pub const SMOOTH_GRAD_CHANGE: Measure = landscape_metric(
    crate::metric::Metric::SmoothGradChange.base_name(),
    "gradient change along −g (mean over probes)",
    "`smooth_grad_change` in metrics.csv: max ‖g(w − ηg) − g(w)‖ over the same steps",
    |m| m.landscape.grad_change.map(|r| r.all),
);
pub const SMOOTH_BETA: Measure = landscape_metric(
    crate::metric::Metric::SmoothBeta.base_name(),
    "effective β-smoothness (mean over probes)",
    "`smooth_beta` in metrics.csv: max ‖Δg‖ / ‖Δw‖ over the same steps",
    |m| m.landscape.beta.map(|r| r.all),
);
pub const SMOOTH_LOSS_RANGE_LATE: Measure = landscape_metric(
    "smooth_loss_range_late",
    "loss range along −g (second half)",
    "`smooth_loss_range`, mean over the second half of the probes",
    |m| m.landscape.loss_range.and_then(|r| r.late),
);
pub const SMOOTH_GRAD_CHANGE_LATE: Measure = landscape_metric(
    "smooth_grad_change_late",
    "gradient change along −g (second half)",
    "`smooth_grad_change`, mean over the second half of the probes",
    |m| m.landscape.grad_change.and_then(|r| r.late),
);
pub const SMOOTH_BETA_LATE: Measure = landscape_metric(
    "smooth_beta_late",
    "effective β-smoothness (second half)",
    "`smooth_beta`, mean over the second half of the probes",
    |m| m.landscape.beta.and_then(|r| r.late),
);

/// Santurkar et al.'s three landscape measures (smaller is smoother), over the whole run and
/// over its second half; only runs of the `smoothness` preset have them.
pub const LANDSCAPE: [&Measure; 3] = [&SMOOTH_LOSS_RANGE, &SMOOTH_GRAD_CHANGE, &SMOOTH_BETA];
pub const LANDSCAPE_LATE: [&Measure; 3] = [
    &SMOOTH_LOSS_RANGE_LATE,
    &SMOOTH_GRAD_CHANGE_LATE,
    &SMOOTH_BETA_LATE,
];

/// The metrics of the report's table, in order.
pub const TABLE: [&Measure; 14] = [
    &STEPS_90,
    &STEPS_95,
    &STEPS_97,
    &VAL_LOSS_AREA,
    &FINAL_VAL_ACC,
    &BEST_VAL_ACC,
    &TEST_ACC,
    &GAP,
    &LOSS_FLUCT,
    &LOSS_TAIL_STD,
    &SPIKE,
    &BLOWUPS,
    &WALL,
    &THROUGHPUT,
];

/// Seed-by-seed comparison of `other` against `base` on one metric.
#[derive(Debug, Clone, Copy)]
pub struct Paired {
    /// Seeds favouring `other` (difference above 0) and `base` (below 0).
    pub up: usize,
    pub down: usize,
    /// Of `other - base` (Diff) or `ln(other / base)` (Ratio), over the seeds where both exist.
    pub est: Estimate,
    /// Exceeds seed noise: at least `MIN_SEEDS_CLEAR` paired seeds and a 95% CI that
    /// excludes no effect.
    pub clear: bool,
    /// Below `MIN_SEEDS_CLEAR` seeds: the difference leans one way (the CI of two seeds
    /// excludes 0, or one seed passes the stated heuristic). Indicative, never clear.
    pub leans: bool,
}

impl Paired {
    /// Judges paired differences (or log ratios) `d`, one per seed, against seed noise;
    /// `one_seed` is the stated rule that decides which way a single seed leans.
    pub fn of(d: &[f64], one_seed: impl Fn(f64) -> bool) -> Option<Self> {
        let est = Estimate::of(d)?;
        let up = d.iter().filter(|x| **x > 0.0).count();
        let down = d.iter().filter(|x| **x < 0.0).count();
        let beyond_noise = match est.ci_excludes_zero() {
            Some(c) => c,
            None => one_seed(est.mean),
        };
        let enough = est.n >= MIN_SEEDS_CLEAR;
        Some(Paired {
            up,
            down,
            est,
            clear: enough && beyond_noise,
            leans: !enough && beyond_noise,
        })
    }

    /// The difference (Diff) or ratio other/base (Ratio) in natural units.
    pub fn effect(&self, m: &Measure) -> f64 {
        match m.pairing {
            Pairing::Diff => self.est.mean,
            Pairing::Ratio => self.est.mean.exp(),
        }
    }

    pub fn ci(&self, m: &Measure) -> Option<(f64, f64)> {
        self.est.ci.map(|(lo, hi)| match m.pairing {
            Pairing::Diff => (lo, hi),
            Pairing::Ratio => (lo.exp(), hi.exp()),
        })
    }

    /// True when `other` is clearly better, false when clearly worse, None otherwise.
    pub fn other_better(&self, m: &Measure) -> Option<bool> {
        if !self.clear {
            return None;
        }
        self.direction(m)
    }

    /// Which way the difference points when it is clear or leans; indicative below
    /// `MIN_SEEDS_CLEAR` seeds.
    pub fn leaning_better(&self, m: &Measure) -> Option<bool> {
        if !(self.clear || self.leans) {
            return None;
        }
        self.direction(m)
    }

    fn direction(&self, m: &Measure) -> Option<bool> {
        if self.est.mean == 0.0 {
            return None;
        }
        let up = self.est.mean > 0.0;
        Some(match m.better {
            Better::Higher => up,
            Better::Lower => !up,
        })
    }
}

fn one_seed_clear(m: &Measure, d: f64) -> bool {
    match (m.pairing, m.unit) {
        (Pairing::Ratio, _) => d.abs() > ONE_SEED_RATIO.ln(),
        (Pairing::Diff, Unit::Accuracy | Unit::Points) => d.abs() * 100.0 > ONE_SEED_ACC_PP,
        (Pairing::Diff, Unit::Count) => d.abs() >= 1.0,
        (Pairing::Diff, _) => d.abs() > ONE_SEED_SPIKE,
    }
}

/// Pairs `base` and `other` jobs by seed; `None` when no seed has the metric on both sides.
pub fn paired(m: &Measure, base: &[&JobMetrics], other: &[&JobMetrics]) -> Option<Paired> {
    let mut d = Vec::new();
    for b in base {
        let Some(o) = other.iter().find(|o| o.seed == b.seed) else {
            continue;
        };
        let (Some(x), Some(y)) = ((m.get)(b), (m.get)(o)) else {
            continue;
        };
        match m.pairing {
            Pairing::Diff => d.push(y - x),
            Pairing::Ratio if x > 0.0 && y > 0.0 => d.push((y / x).ln()),
            Pairing::Ratio => {}
        }
    }
    Paired::of(&d, |mean| one_seed_clear(m, mean))
}

/// Values of a metric over a group of seeds.
pub fn values(m: &Measure, jobs: &[&JobMetrics]) -> Vec<f64> {
    jobs.iter().filter_map(|j| (m.get)(j)).collect()
}

/// The jobs of a run grouped by sweep point and variant.
pub struct Groups {
    pub jobs: Vec<JobMetrics>,
    pub variants: Vec<Variant>,
}

impl Groups {
    /// Every trainer of a run, measured and grouped.
    pub fn of_record(record: &crate::runs::RunRecord) -> Self {
        Self::new(
            record.jobs.iter().map(JobMetrics::of).collect(),
            &record.config.variants,
        )
    }

    pub fn new(jobs: Vec<JobMetrics>, config_variants: &[Variant]) -> Self {
        let mut variants: Vec<Variant> = config_variants.to_vec();
        for j in &jobs {
            if !variants.contains(&j.variant) {
                variants.push(j.variant);
            }
        }
        variants.retain(|v| jobs.iter().any(|j| j.variant == *v));
        Self { jobs, variants }
    }

    /// The variant others are compared against: plain when present.
    pub fn baseline(&self) -> Option<Variant> {
        if self.variants.contains(&Variant::Plain) {
            Some(Variant::Plain)
        } else {
            self.variants.first().copied()
        }
    }

    /// Sweep points present, in index order, with their values.
    pub fn points(&self) -> Vec<(usize, Option<f64>)> {
        let mut p: Vec<(usize, Option<f64>)> =
            self.jobs.iter().map(|j| (j.point, j.point_value)).collect();
        p.sort_by_key(|x| x.0);
        p.dedup_by_key(|x| x.0);
        p
    }

    pub fn of(&self, point: usize, variant: Variant) -> Vec<&JobMetrics> {
        let mut v: Vec<&JobMetrics> = self
            .jobs
            .iter()
            .filter(|j| j.point == point && j.variant == variant)
            .collect();
        v.sort_by_key(|j| j.seed);
        v
    }

    pub fn seeds(&self) -> usize {
        let mut s: Vec<u64> = self.jobs.iter().map(|j| j.seed).collect();
        s.sort_unstable();
        s.dedup();
        s.len()
    }
}

/// The highest accuracy threshold that at least half of the (point, variant) groups reached in
/// every seed: the level at which speed differences across a sweep are visible.
pub fn speed_threshold(g: &Groups) -> usize {
    let points = g.points();
    let groups = points.len() * g.variants.len();
    (0..3)
        .rev()
        .find(|&i| {
            let hit = points
                .iter()
                .flat_map(|(p, _)| g.variants.iter().map(move |v| (*p, *v)))
                .filter(|(p, v)| {
                    let j = g.of(*p, *v);
                    !j.is_empty() && j.iter().all(|j| j.reach[i].is_some())
                })
                .count();
            hit * 2 >= groups
        })
        .unwrap_or(0)
}

#[cfg(test)]
#[path = "compare_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "compare_more_tests.rs"]
mod more_tests;
