//! Curve arithmetic shared by the screen and the report: debiased smoothing, decimation for
//! drawing, log scale and axis bounds. Pure functions of the points (and one cache).

use std::collections::HashMap;

/// The debiased exponential moving average, one point at a time: the plain EMA `s` divided
/// by `1 - beta^t`, so early values are not pulled towards zero. Once `beta^t` is negligible
/// the correction is 1, which saves a division per point on long series.
#[derive(Debug, Clone, Copy)]
struct Ema {
    beta: f64,
    s: f64,
    bt: f64,
}

impl Ema {
    fn new(beta: f64) -> Self {
        Self {
            beta,
            s: 0.0,
            bt: 1.0,
        }
    }

    fn push(&mut self, y: f64) -> f64 {
        self.s = self.beta * self.s + (1.0 - self.beta) * y;
        if self.bt > 1e-15 {
            self.bt *= self.beta;
            self.s / (1.0 - self.bt)
        } else {
            self.s
        }
    }
}

/// Exponential moving average divided by `1 - beta^t`, so early values are not pulled
/// towards zero or towards the first value. Non-finite values are skipped.
pub fn smooth(points: &[(f64, f64)], beta: f64) -> Vec<(f64, f64)> {
    let beta = beta.clamp(0.0, 0.999);
    if beta <= 0.0 {
        return points.to_vec();
    }
    let mut ema = Ema::new(beta);
    points
        .iter()
        .filter(|p| p.1.is_finite())
        .map(|&(x, y)| (x, ema.push(y)))
        .collect()
}

/// Smoothed curves kept between frames: a growing series is smoothed only in its new
/// points, so a long live run does not pay for the whole series on every frame. Drawing
/// borrows the app immutably, hence the interior mutability of a cache.
#[derive(Debug, Default)]
pub struct SmoothCache {
    map: std::cell::RefCell<HashMap<String, SmoothEntry>>,
}

impl Clone for SmoothCache {
    fn clone(&self) -> Self {
        Self::default()
    }
}

#[derive(Debug)]
struct SmoothEntry {
    ema: Ema,
    /// Input points consumed, and the last of them (to notice a changed series).
    n_in: usize,
    last_in: Option<(f64, f64)>,
    out: Vec<(f64, f64)>,
}

impl SmoothEntry {
    fn new(beta: f64) -> Self {
        Self {
            ema: Ema::new(beta),
            n_in: 0,
            last_in: None,
            out: Vec::new(),
        }
    }
}

impl SmoothCache {
    /// Calls `f` with `points` smoothed as [`smooth`] would, reusing earlier work when
    /// `points` extends what was smoothed under `key` before.
    pub fn with_smoothed<R>(
        &self,
        key: &str,
        points: &[(f64, f64)],
        beta: f64,
        f: impl FnOnce(&[(f64, f64)]) -> R,
    ) -> R {
        let beta = beta.clamp(0.0, 0.999);
        let mut map = self.map.borrow_mut();
        let e = map
            .entry(key.to_string())
            .or_insert_with(|| SmoothEntry::new(beta));
        let valid = e.ema.beta == beta
            && e.n_in <= points.len()
            && (e.n_in == 0 || Some(points[e.n_in - 1]) == e.last_in);
        if !valid {
            *e = SmoothEntry::new(beta);
        }
        for &(x, y) in &points[e.n_in..] {
            if y.is_finite() {
                let v = e.ema.push(y);
                e.out.push((x, v));
            }
        }
        e.n_in = points.len();
        e.last_in = points.last().copied();
        f(&e.out)
    }
}

/// At most about `2 * buckets` points that keep each bucket's lowest and highest value in
/// x order, so spikes survive and drawing cost no longer depends on the series length.
pub fn decimate(points: &[(f64, f64)], buckets: usize) -> Vec<(f64, f64)> {
    let buckets = buckets.max(1);
    if points.len() <= 2 * buckets {
        return points.to_vec();
    }
    let mut out = Vec::with_capacity(2 * buckets + 1);
    let per = points.len() as f64 / buckets as f64;
    for b in 0..buckets {
        let start = (b as f64 * per) as usize;
        let end = (((b + 1) as f64 * per) as usize).min(points.len());
        if start >= end {
            continue;
        }
        let chunk = &points[start..end];
        let (mut imin, mut imax) = (0, 0);
        let (mut vmin, mut vmax) = (chunk[0].1, chunk[0].1);
        for (i, p) in chunk.iter().enumerate().skip(1) {
            if p.1 < vmin {
                vmin = p.1;
                imin = i;
            } else if p.1 > vmax {
                vmax = p.1;
                imax = i;
            }
        }
        let (a, b) = (imin.min(imax), imin.max(imax));
        out.push(chunk[a]);
        if b != a {
            out.push(chunk[b]);
        }
    }
    if let (Some(l), Some(o)) = (points.last(), out.last()) {
        if l != o {
            out.push(*l);
        }
    }
    out
}

/// log10 of the positive values; others are dropped (a log axis cannot show them).
pub fn log10(points: &[(f64, f64)]) -> Vec<(f64, f64)> {
    points
        .iter()
        .filter(|p| p.1 > 0.0 && p.1.is_finite())
        .map(|&(x, y)| (x, y.log10()))
        .collect()
}

/// Axis bounds over several point sets, padded; a sane default when there is nothing.
pub fn bounds<'a>(
    sets: impl IntoIterator<Item = &'a [(f64, f64)]>,
    pad: bool,
) -> ([f64; 2], [f64; 2]) {
    let (mut x0, mut x1, mut y0, mut y1) = (
        f64::INFINITY,
        f64::NEG_INFINITY,
        f64::INFINITY,
        f64::NEG_INFINITY,
    );
    for s in sets {
        for &(x, y) in s {
            if x.is_finite() && y.is_finite() {
                x0 = x0.min(x);
                x1 = x1.max(x);
                y0 = y0.min(y);
                y1 = y1.max(y);
            }
        }
    }
    if !x0.is_finite() {
        return ([0.0, 1.0], [0.0, 1.0]);
    }
    if x1 <= x0 {
        x1 = x0 + 1.0;
    }
    if y1 <= y0 {
        let d = y0.abs().max(1e-3) * 0.05;
        y0 -= d;
        y1 += d;
    } else if pad {
        let d = (y1 - y0) * 0.05;
        y0 -= d;
        y1 += d;
    }
    ([x0, x1], [y0, y1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debiased_ema_does_not_start_at_zero() {
        let pts: Vec<(f64, f64)> = (0..5).map(|i| (i as f64, 2.0)).collect();
        let s = smooth(&pts, 0.9);
        assert!(s.iter().all(|p| (p.1 - 2.0).abs() < 1e-12), "{s:?}");
    }

    #[test]
    fn cached_smoothing_matches_and_extends() {
        let pts: Vec<(f64, f64)> = (0..1000).map(|i| (i as f64, (i % 7) as f64)).collect();
        let cache = SmoothCache::default();
        let a = cache.with_smoothed("k", &pts[..400], 0.9, |s| s.to_vec());
        assert_eq!(a, smooth(&pts[..400], 0.9));
        let b = cache.with_smoothed("k", &pts, 0.9, |s| s.to_vec());
        let full = smooth(&pts, 0.9);
        assert_eq!(b.len(), full.len());
        assert!(b.iter().zip(&full).all(|(p, q)| (p.1 - q.1).abs() < 1e-12));
        // A different series under the same key starts over.
        let other: Vec<(f64, f64)> = pts.iter().map(|p| (p.0, p.1 + 1.0)).collect();
        let c = cache.with_smoothed("k", &other, 0.9, |s| s.to_vec());
        assert_eq!(c, smooth(&other, 0.9));
    }

    #[test]
    fn decimation_keeps_extremes_and_bounds_size() {
        let mut pts: Vec<(f64, f64)> = (0..50_000).map(|i| (i as f64, 1.0)).collect();
        pts[12_345].1 = 100.0;
        pts[40_000].1 = -5.0;
        let d = decimate(&pts, 200);
        assert!(d.len() <= 401);
        assert!(d.iter().any(|p| p.1 == 100.0));
        assert!(d.iter().any(|p| p.1 == -5.0));
        assert!(d.windows(2).all(|w| w[0].0 <= w[1].0));
    }
}
