//! Dense evaluation only where it matters: between two evaluations the trainer keeps its net
//! every `DENSE_STEP` steps (a clone shares its tensors until the next update writes them),
//! and when an evaluation finds a threshold crossed, the kept nets are evaluated in order
//! until one has reached the highest threshold crossed. A few extra evaluations per run
//! instead of one every 50 steps; a crossing is resolved within the interval in which an
//! evaluation first shows it.
//!
//! At most `MAX_KEPT` nets are held, whatever the evaluation interval: when the store is
//! full every other net is dropped and the spacing doubles, so a run evaluated rarely
//! (`--eval-every 100000`) costs `MAX_KEPT` nets of memory, not one per 50 steps.

use crate::metric::ACC_THRESHOLDS;

/// Resolution of steps to the accuracy thresholds (while the store has room).
pub const DENSE_STEP: u64 = 50;

/// The most nets kept between two evaluations: 32 copies of the standard net are about 13 MB.
pub const MAX_KEPT: usize = 32;

/// Whether an accuracy reached a threshold; a NaN one (no evaluation yet) has not.
fn reached(acc: f64, threshold: f64) -> bool {
    acc >= threshold
}

pub struct DenseEval<N> {
    active: bool,
    pub last_acc: f64,
    kept: Vec<(u64, N)>,
    /// Steps between kept nets: `DENSE_STEP`, doubled each time the store filled up.
    spacing: u64,
    goal: f64,
}

impl<N> DenseEval<N> {
    pub fn new(eval_interval: u64) -> Self {
        Self {
            active: eval_interval > DENSE_STEP,
            last_acc: f64::NAN,
            kept: Vec::new(),
            spacing: DENSE_STEP,
            goal: f64::NAN,
        }
    }

    /// Whether to keep the net at `step`: while some threshold is still ahead.
    pub fn wants(&self, step: u64) -> bool {
        let ahead = ACC_THRESHOLDS.iter().any(|&t| !reached(self.last_acc, t));
        self.active && ahead && step.is_multiple_of(self.spacing)
    }

    pub fn keep(&mut self, step: u64, net: N) {
        if self.kept.len() == MAX_KEPT {
            self.spacing *= 2;
            let spacing = self.spacing;
            self.kept.retain(|(s, _)| s.is_multiple_of(spacing));
        }
        if step.is_multiple_of(self.spacing) {
            self.kept.push((step, net));
        }
    }

    /// The kept nets to evaluate after an evaluation that found `acc`, oldest first; none
    /// when no threshold was crossed since the previous evaluation.
    pub fn crossed(&mut self, acc: f64) -> Vec<(u64, N)> {
        let kept = std::mem::take(&mut self.kept);
        self.spacing = DENSE_STEP;
        let before = std::mem::replace(&mut self.last_acc, acc);
        self.goal = ACC_THRESHOLDS
            .iter()
            .copied()
            .filter(|&t| !reached(before, t) && reached(acc, t))
            .fold(f64::NAN, f64::max);
        if self.goal.is_nan() {
            Vec::new()
        } else {
            kept
        }
    }

    /// Whether a replayed net's accuracy `a` reached every threshold that was crossed.
    pub fn reached(&self, a: f64) -> bool {
        a >= self.goal
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Drives the store over `steps` steps as the trainer does, then a crossing evaluation.
    fn kept_after(steps: u64) -> Vec<u64> {
        let mut d = DenseEval::new(steps);
        d.last_acc = 0.5;
        let mut most = 0;
        for step in 1..steps {
            if d.wants(step) {
                d.keep(step, ());
            }
            most = most.max(d.kept.len());
        }
        assert!(most <= MAX_KEPT, "{most} nets held at once");
        d.crossed(0.99).into_iter().map(|(s, _)| s).collect()
    }

    #[test]
    fn a_short_interval_keeps_every_fiftieth_step() {
        let want: Vec<u64> = (1..=20).map(|k| k * DENSE_STEP).collect();
        assert_eq!(kept_after(21 * DENSE_STEP), want);
    }

    #[test]
    fn a_long_interval_holds_at_most_max_kept_nets_evenly_spaced() {
        // 100,000 steps would be 2,000 nets at 50: the spacing doubles to 3,200 instead.
        let kept = kept_after(100_000);
        assert!(
            kept.len() <= MAX_KEPT && kept.len() > MAX_KEPT / 2,
            "{}",
            kept.len()
        );
        let gaps: Vec<u64> = kept.windows(2).map(|w| w[1] - w[0]).collect();
        assert!(gaps.iter().all(|&g| g == gaps[0]), "{gaps:?}");
        assert_eq!(kept[0], gaps[0], "from the start of the interval");
        assert_eq!(gaps[0], 3200);
    }

    #[test]
    fn the_spacing_starts_over_after_each_evaluation() {
        let mut d = DenseEval::new(100_000);
        d.last_acc = 0.5;
        for step in 1..10_000 {
            if d.wants(step) {
                d.keep(step, ());
            }
        }
        d.crossed(0.6);
        assert!(d.wants(10_050), "back to every {DENSE_STEP} steps");
    }

    #[test]
    fn no_crossing_no_replay_and_nothing_is_kept_once_every_threshold_is_reached() {
        let mut d = DenseEval::new(1000);
        d.last_acc = 0.5;
        d.keep(50, ());
        assert!(d.crossed(0.6).is_empty());
        d.keep(100, ());
        assert_eq!(d.crossed(0.999).len(), 1);
        assert!(!d.wants(150));
    }
}
