//! The net's own random stream, for what training draws at every step (dropout masks, the
//! noise of noisy BN). It is seeded from the spec's seed and consumed in a fixed order, so
//! the same seed gives the same run; nets of different variants of one seed draw the same
//! values at the same positions, as far as they draw at all.

use rand::{Rng, RngCore, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::StandardNormal;

use super::types::E;
use crate::seeds::mix;

/// Noisy BN's per-step scale range, mean range (±) and per-activation spread.
pub const NOISE_SCALE: (f32, f32) = (0.5, 1.5);
pub const NOISE_MEAN: f32 = 1.0;
pub const NOISE_SPREAD: f32 = 0.25;

#[derive(Debug, Clone)]
pub struct Stream(ChaCha8Rng);

impl Stream {
    pub fn new(seed: u64) -> Self {
        Stream(ChaCha8Rng::seed_from_u64(mix(seed, 0xD20F_0000)))
    }

    /// An inverted-dropout mask of `n` values: 0 with probability `p`, else `1 / (1 − p)`,
    /// so the expected value of a masked input is the input. `p` is in [0, 1).
    pub fn dropout_mask(&mut self, n: usize, p: f32) -> Vec<E> {
        assert!(
            (0.0..1.0).contains(&p),
            "dropout rate {p} is outside [0, 1)"
        );
        // Kept when a 32-bit draw falls below (1 − p)·2³²: one integer draw per value.
        let keep_below = ((1.0 - f64::from(p)) * 4_294_967_296.0) as u64;
        let scale = 1.0 / (1.0 - p);
        (0..n)
            .map(|_| {
                if u64::from(self.0.next_u32()) < keep_below {
                    scale
                } else {
                    0.0
                }
            })
            .collect()
    }

    /// Noisy BN's noise for one BN layer of `width` units over `rows` samples at one step:
    /// each unit j draws a scale s_j ~ U(0.5, 1.5) and a mean μ_j ~ U(−1, 1) afresh, then
    /// every activation gets its own shift m_ij ~ N(μ_j, 0.25²), so y ← s_j·y + m_ij has a
    /// non-zero mean and a non-unit variance that both change at every step. Drawn in that
    /// order (the scales, the means, the shifts row by row), so a seed gives one run.
    /// Returns the scales (one per unit) and the shifts (rows × width).
    pub fn bn_noise(&mut self, rows: usize, width: usize) -> (Vec<E>, Vec<E>) {
        let scale: Vec<E> = (0..width)
            .map(|_| self.uniform(NOISE_SCALE.0, NOISE_SCALE.1))
            .collect();
        let mean: Vec<E> = (0..width)
            .map(|_| self.uniform(-NOISE_MEAN, NOISE_MEAN))
            .collect();
        let mut shift = Vec::with_capacity(rows * width);
        for _ in 0..rows {
            for m in &mean {
                let z: E = self.0.sample(StandardNormal);
                shift.push(m + NOISE_SPREAD * z);
            }
        }
        (scale, shift)
    }

    /// A value uniform in [lo, hi).
    pub fn uniform(&mut self, lo: f32, hi: f32) -> f32 {
        if hi > lo {
            self.0.gen_range(lo..hi)
        } else {
            lo
        }
    }

    /// Access for the samplers of `rand_distr`.
    pub fn rng(&mut self) -> &mut ChaCha8Rng {
        &mut self.0
    }
}
