//! How often a trainer measures something.

/// Points per series at one interval before the interval doubles.
pub const SERIES_CAP: u64 = 10_000;
/// Probes log dozens of metrics each (hundreds on deep nets), so they stretch sooner.
pub const PROBE_CAP: u64 = 1_000;

/// Measures every `every` steps; after `cap` measurements at one interval the interval
/// doubles, so a run of any length emits about `cap · log2(steps)` points. The run record
/// thins what it keeps at `2 · cap` (see `runs::record`), in step with these doublings, so
/// what it holds stays bounded and about evenly spaced. It depends only on the step, so the
/// same seed still gives the same CSV.
#[derive(Debug, Clone)]
pub struct Cadence {
    every: u64,
    count: u64,
    cap: u64,
}

impl Cadence {
    /// `every == 0` never fires.
    pub fn new(every: u64, cap: u64) -> Self {
        Self {
            every,
            count: 0,
            cap: cap.max(1),
        }
    }

    pub fn due(&mut self, step: u64) -> bool {
        if self.every == 0 || !step.is_multiple_of(self.every) {
            return false;
        }
        self.count += 1;
        if self.count >= self.cap {
            self.every = self.every.saturating_mul(2);
            self.count = 0;
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_after_cap_and_grows_logarithmically() {
        let mut c = Cadence::new(10, 3);
        let fired: Vec<u64> = (1..=200).filter(|&s| c.due(s)).collect();
        assert_eq!(fired, vec![10, 20, 30, 40, 60, 80, 120, 160, 200]);
        let mut c = Cadence::new(1, 100);
        let n = (1..=1_000_000u64).filter(|&s| c.due(s)).count();
        assert!(n < 100 * 14, "{n} points for 1e6 steps");
        let mut off = Cadence::new(0, 5);
        assert!(!(1..100).any(|s| off.due(s)));
    }
}
