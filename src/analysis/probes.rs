//! Measures of a trainer's internal probes that its verdicts rest on, each free of the scale
//! the two nets happen to work at: a BN net's activation inputs are γx̂ + β and a plain net's
//! are Wx + b, so raw ranges and raw gradient norms are not comparable between them.

use crate::metric::{Layer, LayerMetric as K};
use crate::runs::JobRecord;

/// Ioffe & Szegedy's Figure 1: the p15/p50/p85 bands of one unit's input over training.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitBands {
    pub layer: Layer,
    /// Range of the median over the probes after the first tenth of training, in units of
    /// the mean band width (p85 − p15) over the same probes: how far the distribution moved
    /// relative to its own spread.
    pub drift: f64,
    /// Band width at the last probe over the band width at the first probe after the first
    /// tenth of training: how much the spread itself grew.
    pub width_growth: f64,
}

/// Fraction of training at the start whose probes the band measures leave out: the first
/// updates move every net's inputs, BN or not.
pub const SETTLE_FRACTION: f64 = 0.1;

pub fn unit_bands(job: &JobRecord) -> Option<UnitBands> {
    let layer = (1..=60)
        .rev()
        .map(Layer::Hidden)
        .find(|&l| job.last(K::UnitP50.of(l)).is_some())?;
    let [lo, mid, hi] = K::UNIT_BANDS.map(|k| job.series(k.of(layer)));
    let last_step = mid.last()?.0;
    let from = (last_step as f64 * SETTLE_FRACTION) as u64;
    let pts: Vec<(f64, f64)> = lo
        .iter()
        .zip(&mid)
        .zip(&hi)
        .filter(|((a, b), c)| a.0 == b.0 && b.0 == c.0 && b.0 >= from)
        .map(|((a, b), c)| (b.2, c.2 - a.2))
        .filter(|(m, w)| m.is_finite() && w.is_finite())
        .collect();
    if pts.len() < 3 {
        return None;
    }
    let width = pts.iter().map(|p| p.1).sum::<f64>() / pts.len() as f64;
    let (mn, mx) = pts
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), p| {
            (a.min(p.0), b.max(p.0))
        });
    let (first, last) = (pts[0].1, pts[pts.len() - 1].1);
    (width > 0.0 && first > 0.0).then(|| UnitBands {
        layer,
        drift: (mx - mn) / width,
        width_growth: last / first,
    })
}

/// How much more the first layer's weights move than the last's, relative to their size:
/// `(‖∂W₁‖/‖W₁‖) / (‖∂W_out‖/‖W_out‖)`, the geometric mean over every probe. 1 is an even
/// flow; 1e-3 a vanishing gradient, 1e3 an exploding one. Relative, because BN makes a
/// layer's output independent of its weights' scale, and so its raw gradient scale-dependent.
pub fn relative_grad_ratio(job: &JobRecord) -> Option<f64> {
    let rel = |l: Layer| -> Vec<(u64, f64)> {
        let g = job.series(K::GradNorm.of(l));
        let w = job.series(K::WeightNorm.of(l));
        g.iter()
            .zip(&w)
            .filter(|(a, b)| a.0 == b.0 && b.2 > 0.0 && a.2 > 0.0)
            .map(|(a, b)| (a.0, a.2 / b.2))
            .collect()
    };
    let (first, out) = (rel(Layer::Hidden(1)), rel(Layer::Out));
    let logs: Vec<f64> = first
        .iter()
        .filter_map(|a| {
            let b = out.iter().find(|b| b.0 == a.0)?;
            let r = (a.1 / b.1).ln();
            r.is_finite().then_some(r)
        })
        .collect();
    (!logs.is_empty()).then(|| (logs.iter().sum::<f64>() / logs.len() as f64).exp())
}

/// How fast the weights move relative to their size at the first probe (step 1, before
/// training has changed the scale): the geometric mean over layers of ‖∂W_l‖/‖W_l‖. A change
/// of the init scale that leaves it in place is one the net does not feel; plain nets feel
/// it as vanishing (far smaller) or exploding (far larger) gradients.
pub fn init_relative_grad(job: &JobRecord) -> Option<f64> {
    let first = job
        .rows
        .iter()
        .find(|r| r.metric == K::GradNorm.of(Layer::Hidden(1)))?
        .step;
    let at = |m| {
        job.rows
            .iter()
            .find(|r| r.step == first && r.metric == m)
            .map(|r| r.value)
    };
    let logs: Vec<f64> = job
        .rows
        .iter()
        .filter(|r| r.step == first)
        .filter_map(|r| match r.metric {
            crate::metric::Metric::Layer(K::GradNorm, l) => {
                let (g, w) = (r.value, at(K::WeightNorm.of(l))?);
                (g > 0.0 && w > 0.0).then(|| (g / w).ln())
            }
            _ => None,
        })
        .collect();
    (!logs.is_empty()).then(|| (logs.iter().sum::<f64>() / logs.len() as f64).exp())
}

/// The probes of the literature experiments (`depth`, `ics`), summarised per trainer.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Probes {
    /// `init_grad_norm` of every layer, in layer order (hidden layers, then the head).
    pub init_grads: Vec<(Layer, f64)>,
    /// Per layer, the ICS measures averaged over the probes.
    pub ics: Vec<IcsLayer>,
    /// Per BN layer, its variance shift (running over inference-mode variance of its input),
    /// geometric mean over the probes after the first tenth of training, once the running
    /// statistics have caught up with the start.
    pub var_shift: Vec<(Layer, f64)>,
    /// Per BN layer, the fraction of its units whose γ is near 0, at the last probe.
    pub gamma_off: Vec<(Layer, f64)>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IcsLayer {
    pub layer: Layer,
    /// Mean ‖G − G′‖₂ over the probes (in the net's own gradient units).
    pub l2: f64,
    /// Mean cos(G, G′): 1 is no shift in direction.
    pub cos: f64,
    /// Mean ‖G − G′‖ / ‖G‖: scale-free.
    pub rel: f64,
}

impl Probes {
    pub fn of(job: &JobRecord) -> Self {
        let mut init_grads: Vec<(Layer, f64)> = Vec::new();
        let mut ics: Vec<(Layer, [Vec<f64>; 3])> = Vec::new();
        let mut shifts: Vec<(u64, Layer, f64)> = Vec::new();
        let mut gamma_off: Vec<(Layer, u64, f64)> = Vec::new();
        for r in &job.rows {
            let crate::metric::Metric::Layer(k, l) = r.metric else {
                continue;
            };
            let slot = match k {
                K::BnVarShift => {
                    shifts.push((r.step, l, r.value));
                    continue;
                }
                K::BnGammaOff => {
                    match gamma_off.iter_mut().find(|x| x.0 == l) {
                        Some(x) if x.1 > r.step => {}
                        Some(x) => (x.1, x.2) = (r.step, r.value),
                        None => gamma_off.push((l, r.step, r.value)),
                    }
                    continue;
                }
                K::InitGradNorm => {
                    if !init_grads.iter().any(|x| x.0 == l) {
                        init_grads.push((l, r.value));
                    }
                    continue;
                }
                K::IcsL2 => 0,
                K::IcsCos => 1,
                K::IcsRel => 2,
                _ => continue,
            };
            let i = match ics.iter().position(|x| x.0 == l) {
                Some(i) => i,
                None => {
                    ics.push((l, Default::default()));
                    ics.len() - 1
                }
            };
            ics[i].1[slot].push(r.value);
        }
        init_grads.sort_by_key(|x| x.0);
        ics.sort_by_key(|x| x.0);
        let m = |v: &[f64]| super::stats::mean(v).unwrap_or(f64::NAN);
        let last = shifts.iter().map(|x| x.0).max().unwrap_or(0);
        let mut layers: Vec<Layer> = shifts.iter().map(|x| x.1).collect();
        layers.sort();
        layers.dedup();
        let var_shift = layers
            .into_iter()
            .filter_map(|l| {
                let v: Vec<f64> = shifts
                    .iter()
                    .filter(|x| x.1 == l && x.0 * 10 >= last)
                    .map(|x| x.2)
                    .collect();
                Some((l, super::stats::geo_mean(&v)?))
            })
            .collect();
        gamma_off.sort_by_key(|x| x.0);
        Self {
            var_shift,
            gamma_off: gamma_off.into_iter().map(|(l, _, v)| (l, v)).collect(),
            init_grads,
            ics: ics
                .into_iter()
                .map(|(layer, [a, b, c])| IcsLayer {
                    layer,
                    l2: m(&a),
                    cos: m(&b),
                    rel: m(&c),
                })
                .collect(),
        }
    }

    /// ‖∂L/∂W‖ at init of the first hidden layer over that of the last hidden layer: how much
    /// the gradient grows (above 1) or shrinks (below 1) on its way down through the net.
    pub fn init_grad_ratio(&self) -> Option<f64> {
        let hidden = |l: &&(Layer, f64)| matches!(l.0, Layer::Hidden(_));
        let first = self.init_grads.iter().find(hidden)?;
        let last = self.init_grads.iter().rev().find(hidden)?;
        let r = first.1 / last.1;
        (r.is_finite() && r > 0.0).then_some(r)
    }

    /// Mean over layers of each layer's mean cos(G, G′).
    pub fn ics_cos(&self) -> Option<f64> {
        super::stats::mean(&self.ics.iter().map(|l| l.cos).collect::<Vec<_>>())
    }

    /// How far the BNs a dropout can precede (hidden layers 2 and up) are off in inference:
    /// mean over them of |ln variance shift|, 0 when the running variance is the one seen.
    pub fn var_shift_after_first(&self) -> Option<f64> {
        let v: Vec<f64> = self
            .var_shift
            .iter()
            .filter(|(l, _)| matches!(l, Layer::Hidden(n) if *n >= 2))
            .map(|(_, s)| s.ln().abs())
            .collect();
        super::stats::mean(&v)
    }

    /// The fraction of all hidden BN units switched off (|γ| near 0) at the end.
    pub fn gamma_off_fraction(&self) -> Option<f64> {
        super::stats::mean(&self.gamma_off.iter().map(|x| x.1).collect::<Vec<_>>())
    }

    /// Geometric mean over layers of each layer's mean ‖G − G′‖ / ‖G‖.
    pub fn ics_rel(&self) -> Option<f64> {
        super::stats::geo_mean(&self.ics.iter().map(|l| l.rel).collect::<Vec<_>>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric::Metric;
    use crate::model::Variant;
    use crate::runs::MetricRow;
    use crate::train::JobId;

    /// A record of one trainer holding exactly `rows` (also used by `more_tests`).
    pub(super) fn job(rows: Vec<(u64, Metric, f64)>) -> JobRecord {
        let mut j = JobRecord::new(
            JobId {
                variant: Variant::Plain,
                seed: 1,
                point: 0,
            },
            None,
        );
        j.rows = rows
            .into_iter()
            .map(|(step, metric, value)| MetricRow {
                step,
                epoch: 0.0,
                metric,
                value,
            })
            .collect();
        j
    }

    fn bands(scale: f64, shift: f64) -> JobRecord {
        let l = Layer::Hidden(3);
        let mut rows = Vec::new();
        for s in 0..=10u64 {
            let step = s * 100;
            let m = shift + scale * (s as f64 * 0.1);
            rows.push((step, K::UnitP15.of(l), m - scale));
            rows.push((step, K::UnitP50.of(l), m));
            rows.push((step, K::UnitP85.of(l), m + scale * (1.0 + 0.1 * s as f64)));
        }
        job(rows)
    }

    #[test]
    fn band_drift_is_in_units_of_the_band_width() {
        let b = unit_bands(&bands(1.0, 0.0)).unwrap();
        assert_eq!(b.layer, Layer::Hidden(3));
        // From step 100 (a tenth of 1000): the median moves 0.1..1.0 = 0.9; widths 2.1..3.0.
        assert!((b.drift - 0.9 / 2.55).abs() < 1e-9, "{}", b.drift);
        assert!((b.width_growth - 3.0 / 2.1).abs() < 1e-9);
        // The same bands at another scale and offset give the same numbers.
        let c = unit_bands(&bands(37.0, -5.0)).unwrap();
        assert!((c.drift - b.drift).abs() < 1e-9);
        assert!((c.width_growth - b.width_growth).abs() < 1e-9);
    }

    #[test]
    fn relative_gradient_ratio_ignores_weight_scale() {
        let rows = |w1: f64, g1: f64| {
            let mut v = Vec::new();
            for step in [50, 100] {
                v.push((step, K::GradNorm.of(Layer::Hidden(1)), g1));
                v.push((step, K::WeightNorm.of(Layer::Hidden(1)), w1));
                v.push((step, K::GradNorm.of(Layer::Out), 2.0));
                v.push((step, K::WeightNorm.of(Layer::Out), 4.0));
            }
            v
        };
        // (0.001 / 1) / (2 / 4) = 0.002
        let r = relative_grad_ratio(&job(rows(1.0, 0.001))).unwrap();
        assert!((r - 0.002).abs() < 1e-12, "{r}");
        // Weights ten times larger and gradients ten times smaller, as BN's scale invariance
        // gives: the raw gradient drops 10×, the relative one 100×.
        let r2 = relative_grad_ratio(&job(rows(10.0, 0.0001))).unwrap();
        assert!((r2 - 0.00002).abs() < 1e-15, "{r2}");
        assert_eq!(relative_grad_ratio(&job(Vec::new())), None);
    }

    #[test]
    fn init_relative_gradient_is_the_geometric_mean_over_layers_at_the_first_probe() {
        let l1 = Layer::Hidden(1);
        let rows = vec![
            (1, K::GradNorm.of(l1), 0.1),
            (1, K::WeightNorm.of(l1), 1.0),
            (1, K::GradNorm.of(Layer::Out), 4.0),
            (1, K::WeightNorm.of(Layer::Out), 0.4),
            (50, K::GradNorm.of(l1), 100.0),
            (50, K::WeightNorm.of(l1), 1.0),
        ];
        // sqrt(0.1 * 10) = 1, and the later probe does not count.
        let r = init_relative_grad(&job(rows)).unwrap();
        assert!((r - 1.0).abs() < 1e-12, "{r}");
    }

    #[test]
    fn init_ratio_is_first_over_last_hidden_layer_and_ics_means_per_layer() {
        let (l1, l2, l3) = (Layer::Hidden(1), Layer::Hidden(2), Layer::Hidden(3));
        let rows = vec![
            (0, K::InitGradNorm.of(l1), 8.0),
            (0, K::InitGradNorm.of(l2), 4.0),
            (0, K::InitGradNorm.of(l3), 2.0),
            (0, K::InitGradNorm.of(Layer::Out), 100.0),
            (1, K::IcsCos.of(l2), 0.9),
            (1, K::IcsRel.of(l2), 0.1),
            (1, K::IcsL2.of(l2), 3.0),
            (100, K::IcsCos.of(l2), 0.7),
            (100, K::IcsRel.of(l2), 0.3),
            (100, K::IcsCos.of(Layer::Out), 0.5),
            (100, K::IcsRel.of(Layer::Out), 0.8),
        ];
        let p = Probes::of(&job(rows));
        // The head is not a hidden layer: 8 / 2.
        assert_eq!(p.init_grad_ratio(), Some(4.0));
        assert_eq!(p.ics.len(), 2);
        assert!((p.ics[0].cos - 0.8).abs() < 1e-12);
        assert!((p.ics[0].rel - 0.2).abs() < 1e-12);
        assert_eq!(p.ics[0].l2, 3.0);
        // Means over layers: (0.8 + 0.5) / 2 and sqrt(0.2 * 0.8).
        assert!((p.ics_cos().unwrap() - 0.65).abs() < 1e-12);
        assert!((p.ics_rel().unwrap() - 0.4).abs() < 1e-12);
        assert_eq!(Probes::of(&job(Vec::new())).init_grad_ratio(), None);
    }
}

#[cfg(test)]
#[path = "probes_more_tests.rs"]
mod more_tests;
