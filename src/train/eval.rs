//! Inference-mode evaluation: BN uses its running statistics, nothing is traced.

use crate::data::{Normalizer, Subset, CLASSES};
use crate::model::infer::Inference;
use crate::model::{Dev, Network, E};

const CHUNK: usize = 1000;

/// Mean cross-entropy and accuracy of `logits` (rows of 10) against `labels`.
pub fn loss_and_correct(logits: &[f32], labels: &[u8]) -> (f64, usize) {
    let mut loss = 0f64;
    let mut correct = 0;
    for (row, &y) in logits.chunks_exact(CLASSES).zip(labels) {
        let max = row.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        let lse = row
            .iter()
            .map(|&v| f64::from(v - max).exp())
            .sum::<f64>()
            .ln()
            + f64::from(max);
        loss += lse - f64::from(row[y as usize]);
        if argmax(row) == y as usize {
            correct += 1;
        }
    }
    (loss, correct)
}

pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &v) in row.iter().enumerate() {
        if v > row[best] {
            best = i;
        }
    }
    best
}

/// Loss and accuracy over a whole subset, in chunks of 1000 images, through one `Inference`
/// (a flat copy of the parameters; see `model::infer` for when it skips zero pixels).
pub fn evaluate<N: Network>(net: &N, _dev: &Dev, subset: &Subset, norm: &Normalizer) -> (f64, f64) {
    let n = subset.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let mut inference = Inference::new(net, norm);
    let mut logits = Vec::new();
    let mut y = vec![0u8; CHUNK.min(n)];
    let (mut loss, mut correct) = (0f64, 0usize);
    for start in (0..n).step_by(CHUNK) {
        let items = start..(start + CHUNK).min(n);
        let m = items.len();
        for (dst, i) in y.iter_mut().zip(items.clone()) {
            *dst = subset.label(i);
        }
        inference.logits(subset, items, norm, &mut logits, None);
        let (l, c) = loss_and_correct(&logits, &y[..m]);
        loss += l;
        correct += c;
    }
    (loss / n as f64, correct as f64 / n as f64)
}

/// The inputs of each hidden layer's activation, in inference mode, for the first `n` items
/// of `subset` (the probe batch).
pub fn activation_inputs<N: Network>(
    net: &N,
    subset: &Subset,
    n: usize,
    norm: &Normalizer,
    taps: &mut Vec<Vec<E>>,
) {
    let mut logits = Vec::new();
    Inference::new(net, norm).logits(
        subset,
        0..n.min(subset.len()),
        norm,
        &mut logits,
        Some(taps),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    use dfdx::prelude::*;

    use crate::data::{prepare, source::load, DatasetName, SplitConfig, PIXELS};
    use crate::model::{build, Init, Net, NetSpec, Variant, SHALLOW_DEPTH};

    /// A sigmoid net of `variant` with N(0, σ²) weights.
    fn sigmoid_net(variant: Variant, sigma: f32, seed: u64) -> Net {
        let spec = NetSpec {
            variant,
            depth: SHALLOW_DEPTH,
            activation: crate::model::Activation::Sigmoid,
            init: Init::Gaussian { sigma },
            seed,
            settings: Default::default(),
        };
        build(&Dev::default(), &spec)
    }

    /// The network's inference on the first `n` items of `subset`, converted to a dense batch
    /// (the product `evaluate` made before it skipped zeros); `taps` as in `Inference::logits`.
    fn dense_logits<N: Network>(
        net: &N,
        subset: &Subset,
        n: usize,
        norm: &Normalizer,
        taps: Option<&mut Vec<Vec<E>>>,
    ) -> (Vec<E>, Vec<u8>) {
        let mut x = vec![0f32; n * PIXELS];
        let mut y = vec![0u8; n];
        let positions: Vec<u32> = (0..n as u32).collect();
        norm.fill_batch(subset, &positions, &mut x, &mut y);
        let x = Dev::default().tensor_from_vec(x, (n, Const));
        (net.forward_infer(x, taps).as_vec(), y)
    }

    fn dense<N: Network>(net: &N, subset: &Subset, norm: &Normalizer) -> (f64, f64) {
        let n = subset.len();
        let (logits, y) = dense_logits(net, subset, n, norm, None);
        let (l, c) = loss_and_correct(&logits, &y);
        (l / n as f64, c as f64 / n as f64)
    }

    fn agree(variant: Variant) {
        let raw = load(DatasetName::Mnist5k, None).unwrap();
        let data = prepare(&raw, &SplitConfig::new(3));
        let dev = Dev::default();
        let net = sigmoid_net(variant, 1.0, 5);
        for norm in [Normalizer::unit(), Normalizer::standardize(&data.train)] {
            let (l, a) = evaluate(&net, &dev, &data.val, &norm);
            let (dl, da) = dense(&net, &data.val, &norm);
            assert!(
                (l - dl).abs() < 1e-5 * dl,
                "{variant:?} loss {l} vs dense {dl}"
            );
            assert!(
                (a - da).abs() <= 1.0 / data.val.len() as f64,
                "{variant:?} acc {a} vs {da}"
            );
        }
    }

    #[test]
    fn probe_taps_from_pixels_match_the_dense_ones() {
        let raw = load(DatasetName::Mnist5k, None).unwrap();
        let data = prepare(&raw, &SplitConfig::new(2));
        let net = sigmoid_net(Variant::Bn, 0.5, 9);
        let n = 64;
        let mut taps = Vec::new();
        activation_inputs(&net, &data.val, n, &data.norm, &mut taps);
        let mut want = Vec::new();
        dense_logits(&net, &data.val, n, &data.norm, Some(&mut want));
        assert_eq!(taps.len(), want.len());
        for (layer, (a, b)) in taps.iter().zip(&want).enumerate() {
            assert_eq!(a.len(), n * crate::model::HIDDEN);
            for (i, (u, v)) in a.iter().zip(b).enumerate() {
                assert!(
                    (u - v).abs() <= 1e-4 * (1.0 + v.abs()),
                    "layer {layer} [{i}]: {u} vs {v}"
                );
            }
        }
    }

    #[test]
    fn dense_images_take_the_dense_path() {
        // Half the pixels non-zero, as in Fashion-MNIST: above the sparse threshold.
        let n = 300;
        let images = crate::data::idx::LabelledImages {
            pixels: (0..n * PIXELS)
                .map(|i| if i % 2 == 0 { (i % 251) as u8 } else { 0 })
                .collect(),
            labels: (0..n).map(|i| (i % CLASSES) as u8).collect(),
            rows: 28,
            cols: 28,
        };
        let subset = Subset::new(std::sync::Arc::new(images), (0..n as u32).collect());
        assert!(subset.nonzero().is_none(), "too dense to list");
        let dev = Dev::default();
        let net = sigmoid_net(Variant::Plain, 1.0, 5);
        let norm = Normalizer::unit();
        let (l, a) = evaluate(&net, &dev, &subset, &norm);
        assert_eq!(
            (l, a),
            dense(&net, &subset, &norm),
            "the same dense product, the same bits"
        );
    }

    #[test]
    fn skipping_zero_pixels_matches_the_dense_product() {
        agree(Variant::Plain);
        agree(Variant::Bn);
        agree(Variant::BnAfter);
    }

    #[test]
    fn cross_entropy_of_uniform_logits_is_ln10() {
        let (l, c) = loss_and_correct(&[0.0; 10], &[3]);
        assert!((l - 10f64.ln()).abs() < 1e-9);
        assert_eq!(c, 0, "ties go to the first class");
    }
}
