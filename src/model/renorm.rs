//! Batch Renormalization's correction (Ioffe 2017) and the schedule of its clipping limits.
//!
//! Training normalizes with the batch statistics, then corrects towards the running ones:
//! x̂ = (x − μ_B)/σ_B · r + d, r = clip(σ_B/σ, 1/r_max, r_max), d = clip((μ_B − μ)/σ, ±d_max),
//! r and d held constant in the backward pass. With r_max = 1 and d_max = 0 it is BN.

use super::types::E;

/// The clipping limits of one step.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    pub r_max: E,
    pub d_max: E,
}

impl Limits {
    /// r = 1, d = 0: plain BatchNorm.
    pub const BN: Limits = Limits {
        r_max: 1.0,
        d_max: 0.0,
    };
    /// Where the paper's schedule ends.
    pub const FULL: Limits = Limits {
        r_max: 3.0,
        d_max: 5.0,
    };
}

/// The paper holds r_max = 1, d_max = 0 for 5k steps, then relaxes them linearly to 3 and 5
/// over the next 40k. A run of this lab is far shorter, so the same shape is scaled to its
/// length: the warm-up is its first 5 % of steps, the relaxation the next 40 % (8× the
/// warm-up, as in the paper), the limits stay at 3 and 5 for the rest. A net that does not
/// know its run's length (`total` 0) uses the paper's step counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Schedule {
    /// The run's optimizer steps; 0 when unknown.
    pub total: u64,
    /// Training forward passes so far (the current step's once it has begun).
    pub step: u64,
}

impl Schedule {
    pub fn new(total: u64) -> Self {
        Schedule { total, step: 0 }
    }

    /// The warm-up's and the relaxation's lengths in steps.
    pub fn phases(&self) -> (u64, u64) {
        if self.total == 0 {
            (5_000, 40_000)
        } else {
            let warm = (self.total / 20).max(1);
            (warm, 8 * warm)
        }
    }

    /// The limits at training step `step` (1 = the first).
    pub fn limits_at(&self, step: u64) -> Limits {
        let (warm, ramp) = self.phases();
        if step <= warm {
            return Limits::BN;
        }
        let t = ((step - warm) as f64 / ramp as f64).min(1.0) as E;
        Limits {
            r_max: 1.0 + t * (Limits::FULL.r_max - 1.0),
            d_max: t * Limits::FULL.d_max,
        }
    }

    /// Counts one training step and returns its limits.
    pub fn advance(&mut self) -> Limits {
        self.step += 1;
        self.limits_at(self.step)
    }
}

/// r and d per feature from the batch's mean and biased variance and the running statistics
/// (before this step's update), with BN's ε in both standard deviations.
pub fn factors(
    mean: &[E],
    var: &[E],
    running_mean: &[E],
    running_var: &[E],
    eps: E,
    limits: Limits,
) -> (Vec<E>, Vec<E>) {
    let Limits { r_max, d_max } = limits;
    mean.iter()
        .zip(var)
        .zip(running_mean.iter().zip(running_var))
        .map(|((&m, &v), (&rm, &rv))| {
            let sigma = (rv + eps).sqrt();
            let r = ((v + eps).sqrt() / sigma).clamp(1.0 / r_max, r_max);
            let d = ((m - rm) / sigma).clamp(-d_max, d_max);
            (r, d)
        })
        .unzip()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_warms_up_then_relaxes_to_the_papers_limits() {
        let s = Schedule::new(1000);
        assert_eq!(s.phases(), (50, 400));
        assert_eq!(s.limits_at(1), Limits::BN);
        assert_eq!(s.limits_at(50), Limits::BN);
        let mid = s.limits_at(250);
        assert!((mid.r_max - 2.0).abs() < 1e-6 && (mid.d_max - 2.5).abs() < 1e-6);
        assert_eq!(s.limits_at(450), Limits::FULL);
        assert_eq!(s.limits_at(1000), Limits::FULL);
        let paper = Schedule::default();
        assert_eq!(paper.limits_at(5_000), Limits::BN);
        assert_eq!(paper.limits_at(45_000), Limits::FULL);
        let mut a = Schedule::new(1000);
        assert_eq!(a.advance(), Limits::BN);
        assert_eq!(a.step, 1);
    }

    #[test]
    fn factors_are_clipped_to_the_limits() {
        // σ_B/σ = 2 and (μ_B − μ)/σ = 4 before clipping (ε = 0).
        let (m, v, rm, rv) = ([5.0], [4.0], [1.0], [1.0]);
        let (r, d) = factors(&m, &v, &rm, &rv, 0.0, Limits::FULL);
        assert_eq!((r[0], d[0]), (2.0, 4.0));
        let tight = Limits {
            r_max: 1.5,
            d_max: 1.0,
        };
        let (r, d) = factors(&m, &v, &rm, &rv, 0.0, tight);
        assert_eq!((r[0], d[0]), (1.5, 1.0));
        let (r, d) = factors(&[-5.0], &[0.25], &rm, &rv, 0.0, tight);
        assert_eq!((r[0], d[0]), (1.0 / 1.5, -1.0));
        let (r, d) = factors(&m, &v, &rm, &rv, 0.0, Limits::BN);
        assert_eq!((r[0], d[0].abs()), (1.0, 0.0));
    }
}
