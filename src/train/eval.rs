//! Inference-mode evaluation: BN uses its running statistics, nothing is traced.

use crate::data::{Normalizer, Subset, CLASSES, PIXELS};
use crate::model::flat::Scratch;
use crate::model::{Dev, Network};

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

/// Loss and accuracy over a whole subset, in chunks of 1000 images, through a flat copy of
/// the parameters taken once (no tensors, buffers reused across chunks).
pub fn evaluate<N: Network>(net: &N, _dev: &Dev, subset: &Subset, norm: &Normalizer) -> (f64, f64) {
    let n = subset.len();
    if n == 0 {
        return (f64::NAN, f64::NAN);
    }
    let flat = net.flat();
    let mut scratch = Scratch::default();
    let mut logits = Vec::new();
    let mut x = vec![0f32; CHUNK.min(n) * PIXELS];
    let mut y = vec![0u8; CHUNK.min(n)];
    let (mut loss, mut correct) = (0f64, 0usize);
    let positions: Vec<u32> = (0..n as u32).collect();
    for chunk in positions.chunks(CHUNK) {
        let m = chunk.len();
        norm.fill_batch(subset, chunk, &mut x[..m * PIXELS], &mut y[..m]);
        flat.forward(&x[..m * PIXELS], m, &mut scratch, &mut logits, None);
        let (l, c) = loss_and_correct(&logits, &y[..m]);
        loss += l;
        correct += c;
    }
    (loss / n as f64, correct as f64 / n as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cross_entropy_of_uniform_logits_is_ln10() {
        let (l, c) = loss_and_correct(&[0.0; 10], &[3]);
        assert!((l - 10f64.ln()).abs() < 1e-9);
        assert_eq!(c, 0, "ties go to the first class");
    }
}
