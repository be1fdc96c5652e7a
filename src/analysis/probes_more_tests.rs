//! The probe measures on crafted records where the filters matter: misaligned steps, zero
//! and non-finite values, and values that differ from probe to probe (see docs/testing.md).

use super::tests::job;
use super::*;
use crate::metric::Metric;

/// Bands of `Hidden(2)` at steps 0, 100, …: `(p15, p50, p85)` per probe.
fn bands(probes: &[(f64, f64, f64)]) -> Vec<(u64, Metric, f64)> {
    let l = Layer::Hidden(2);
    let mut rows = Vec::new();
    for (i, &(lo, mid, hi)) in probes.iter().enumerate() {
        let step = i as u64 * 100;
        rows.push((step, K::UnitP15.of(l), lo));
        rows.push((step, K::UnitP50.of(l), mid));
        rows.push((step, K::UnitP85.of(l), hi));
    }
    rows
}

#[test]
fn bands_need_three_settled_probes() {
    // Last step 300, so probes from step 30 on count: steps 100, 200, 300.
    let three = [
        (0.0, 9.0, 1.0),
        (0.0, 1.0, 2.0),
        (0.0, 2.0, 4.0),
        (1.0, 4.0, 5.0),
    ];
    let b = unit_bands(&job(bands(&three))).unwrap();
    // Medians 1, 2, 4; widths 2, 4, 4 (mean 10/3); growth 4/2.
    assert!((b.drift - 3.0 / (10.0 / 3.0)).abs() < 1e-12, "{}", b.drift);
    assert!((b.width_growth - 2.0).abs() < 1e-12);
    assert_eq!(unit_bands(&job(bands(&three[..3]))), None);
}

#[test]
fn bands_skip_non_finite_and_misaligned_probes() {
    let probes = [
        (0.0, 0.0, 1.0),
        (0.0, 1.0, 2.0),
        (0.0, 2.0, f64::NAN),
        (0.0, 3.0, 2.0),
        (0.0, 5.0, 4.0),
    ];
    let b = unit_bands(&job(bands(&probes))).unwrap();
    // Steps 100, 300, 400 (200 has no width): medians 1, 3, 5; widths 2, 2, 4.
    assert!((b.drift - 4.0 / (8.0 / 3.0)).abs() < 1e-12, "{}", b.drift);
    assert!((b.width_growth - 2.0).abs() < 1e-12);
    // p15 one probe late everywhere: no probe has all three bands at one step.
    let mut rows = bands(&probes);
    for r in rows
        .iter_mut()
        .filter(|r| r.1 == K::UnitP15.of(Layer::Hidden(2)))
    {
        r.0 += 50;
    }
    assert_eq!(unit_bands(&job(rows)), None);
}

#[test]
fn bands_with_no_width_at_the_start_or_on_average_give_nothing() {
    let zero_first = [
        (0.0, 0.0, 1.0),
        (1.0, 1.0, 1.0),
        (0.0, 2.0, 2.0),
        (0.0, 3.0, 3.0),
    ];
    assert_eq!(unit_bands(&job(bands(&zero_first))), None);
    // Widths 1, −2, 1: a mean width of zero (a p85 below its p15 is damaged data).
    let zero_mean = [
        (0.0, 0.0, 1.0),
        (0.0, 1.0, 1.0),
        (2.0, 1.5, 0.0),
        (0.0, 3.0, 1.0),
    ];
    assert_eq!(unit_bands(&job(bands(&zero_mean))), None);
}

#[test]
fn relative_gradient_ratio_pairs_layers_at_each_step() {
    let (l1, out) = (Layer::Hidden(1), Layer::Out);
    let mut rows = Vec::new();
    // Per step: (‖∂W₁‖, ‖W₁‖, ‖∂W_out‖, ‖W_out‖).
    for (step, g1, w1, go, wo) in [
        (50, 1.0, 1.0, 1.0, 1.0),  // ratio 1
        (100, 8.0, 2.0, 1.0, 1.0), // ratio 4
        (150, 1.0, 0.0, 1.0, 1.0), // no weight norm: skipped
        (200, 1.0, 1.0, 0.0, 1.0), // no output gradient: skipped
    ] {
        rows.push((step, K::GradNorm.of(l1), g1));
        rows.push((step, K::WeightNorm.of(l1), w1));
        rows.push((step, K::GradNorm.of(out), go));
        rows.push((step, K::WeightNorm.of(out), wo));
    }
    // Geometric mean of 1 and 4.
    let r = relative_grad_ratio(&job(rows.clone())).unwrap();
    assert!((r - 2.0).abs() < 1e-12, "{r}");
    // The first layer's weight norm only at step 100: its gradients at 50 and 100 line up
    // with it by position, not by step, so no pair is measured (the output has step 50).
    let shifted: Vec<(u64, Metric, f64)> = rows
        .into_iter()
        .filter(|r| r.1 != K::WeightNorm.of(l1) || r.0 == 100)
        .filter(|r| r.1 != K::GradNorm.of(l1) || r.0 <= 100)
        .collect();
    assert_eq!(relative_grad_ratio(&job(shifted)), None);
}

#[test]
fn init_relative_gradient_starts_at_the_first_gradient_probe_and_skips_zeros() {
    let (l1, l2, l3) = (Layer::Hidden(1), Layer::Hidden(2), Layer::Hidden(3));
    let rows = vec![
        (0, Metric::TrainLoss, 2.3),
        (3, K::WeightNorm.of(l1), 7.0),
        (5, K::GradNorm.of(l1), 0.2),
        (5, K::WeightNorm.of(l1), 0.1),
        (5, K::GradNorm.of(Layer::Out), 1.0),
        (5, K::WeightNorm.of(Layer::Out), 2.0),
        // A layer with no gradient and one with no weight: neither has a ratio.
        (5, K::GradNorm.of(l2), 0.0),
        (5, K::WeightNorm.of(l2), 1.0),
        (5, K::GradNorm.of(l3), 1.0),
        (5, K::WeightNorm.of(l3), 0.0),
        (9, K::GradNorm.of(l1), 50.0),
        (9, K::WeightNorm.of(l1), 1.0),
    ];
    // sqrt(2 · 0.5) = 1.
    let r = init_relative_grad(&job(rows)).unwrap();
    assert!((r - 1.0).abs() < 1e-12, "{r}");
    assert_eq!(
        init_relative_grad(&job(vec![(0, Metric::TrainLoss, 1.0)])),
        None
    );
}
