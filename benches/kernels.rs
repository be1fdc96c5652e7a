//! Throughput of the hot pieces on their own (`cargo bench --bench kernels`): the three matrix
//! products of a training step at batch 60, one fused layer forward+backward, and the sigmoid.
//! A plain timing loop (fastest single call), so it needs no extra crates.

use std::hint::black_box;
use std::time::Instant;

use bnlab::data::nonzero::NonzeroPixels;
use bnlab::data::nonzero::MAX_DENSITY;
use bnlab::data::{prepare, source::load, DatasetName, SplitConfig, PIXELS};
use bnlab::kernels::{self, SparseRows};
use bnlab::model::flat_layer::FlatLayer;
use bnlab::model::pixel_input::PixelInput;

/// The fastest of many single calls: on a shared machine a longer timed loop mostly
/// measures the other processes' time slices.
fn best_secs(mut f: impl FnMut(), reps: usize) -> f64 {
    f();
    let mut best = f64::INFINITY;
    for _ in 0..reps * 5 {
        let t = Instant::now();
        f();
        best = best.min(t.elapsed().as_secs_f64());
    }
    best
}

fn report(name: &str, flops: f64, secs: f64) {
    println!(
        "{name:<34} {:>9.1} us {:>7.1} GFLOP/s",
        secs * 1e6,
        flops / secs / 1e9
    );
}

fn main() {
    let b = 60;
    for (i, o) in [(784usize, 100usize), (100, 100), (100, 10)] {
        let x: Vec<f32> = (0..b * i).map(|k| (k % 13) as f32 * 0.01).collect();
        let w: Vec<f32> = (0..o * i).map(|k| (k % 7) as f32 * 0.01).collect();
        let dz: Vec<f32> = (0..b * o).map(|k| (k % 5) as f32 * 0.01).collect();
        let mut z = vec![0f32; b * o];
        let mut dw = vec![0f32; o * i];
        let mut dx = vec![0f32; b * i];
        let flops = (2 * b * i * o) as f64;
        let s = best_secs(
            || kernels::abt(b, o, i, &x, &w, black_box(&mut z), false),
            200,
        );
        report(&format!("forward  x·Wᵀ  {b}x{i}x{o}"), flops, s);
        let wt: Vec<f32> = (0..o * i).map(|k| (k % 7) as f32 * 0.01).collect();
        let s = best_secs(
            || kernels::ab(b, o, i, &x, &wt, black_box(&mut z), false),
            200,
        );
        report(&format!("forward  x·Wt  {b}x{i}x{o}"), flops, s);
        let s = best_secs(
            || kernels::atb(o, i, b, &dz, &x, black_box(&mut dw), true),
            200,
        );
        report(&format!("weights  dZᵀ·x {o}x{i}x{b}"), flops, s);
        let s = best_secs(
            || kernels::ab(b, i, o, &dz, &w, black_box(&mut dx), true),
            200,
        );
        report(&format!("inputs   dZ·W  {b}x{i}x{o}"), flops, s);
    }
    let mut v: Vec<f32> = (0..b * 300).map(|k| (k % 97) as f32 * 0.1 - 5.0).collect();
    let s = best_secs(|| kernels::sigmoid(black_box(&mut v)), 200);
    println!("{:<34} {:>9.1} us", "sigmoid 60x300", s * 1e6);
    first_layer_from_pixels();
    first_layer_training();
}

/// The first layer's two products in a training step at batch 60 on embedded digits: dense
/// `gemm` against the sparse path (finding the non-zero inputs, forward, weight gradient).
fn first_layer_training() {
    let raw = load(DatasetName::Mnist5k, None).expect("embedded digits");
    let data = prepare(&raw, &SplitConfig::new(1));
    let (b, o) = (60, 100);
    // 16 batches taken in turn, so that the branch predictor cannot learn one batch's
    // pattern; each is spread over the store (sorted by class) to mix the classes.
    let step = (data.train.len() / b) as u32;
    let xs: Vec<Vec<f32>> = (0..16)
        .map(|k| {
            let positions: Vec<u32> = (0..b as u32).map(|i| i * step + k).collect();
            let mut x = vec![0f32; b * PIXELS];
            let mut y = vec![0u8; b];
            data.norm
                .fill_batch(&data.train, &positions, &mut x, &mut y);
            x
        })
        .collect();
    let w: Vec<f32> = (0..o * PIXELS).map(|k| (k % 7) as f32 * 0.01).collect();
    let dz: Vec<f32> = (0..b * o).map(|k| (k % 5) as f32 * 0.01).collect();
    let mut z = vec![0f32; b * o];
    let mut dw = vec![0f32; o * PIXELS];
    let flops = (4 * b * PIXELS * o) as f64;
    let mut turn = 0;
    let mut pick = || {
        turn = (turn + 1) % xs.len();
        &xs[turn]
    };
    let s = best_secs(
        || {
            let x = pick();
            kernels::abt(b, o, PIXELS, x, &w, black_box(&mut z), false);
            kernels::atb(o, PIXELS, b, &dz, x, black_box(&mut dw), true);
        },
        200,
    );
    report(&format!("layer 1 dense  {b}x{PIXELS}x{o}"), flops, s);
    let s = best_secs(
        || {
            let sp = SparseRows::of(pick(), b, PIXELS, MAX_DENSITY).expect("digits are sparse");
            sp.forward(&w, o, black_box(&mut z));
            sp.weight_grad(&dz, o, black_box(&mut dw));
        },
        200,
    );
    report(&format!("layer 1 sparse {b}x{PIXELS}x{o}"), flops, s);
    let s = best_secs(
        || {
            black_box(SparseRows::of(pick(), b, PIXELS, MAX_DENSITY));
        },
        200,
    );
    println!("{:<34} {:>9.1} us", "  of which finding non-zeros", s * 1e6);
    let sps: Vec<SparseRows> = xs
        .iter()
        .map(|x| SparseRows::of(x, b, PIXELS, MAX_DENSITY).expect("digits are sparse"))
        .collect();
    let mut turn = 0;
    let mut sp = || {
        turn = (turn + 1) % sps.len();
        &sps[turn]
    };
    let s = best_secs(|| sp().forward(&w, o, black_box(&mut z)), 200);
    println!("{:<34} {:>9.1} us", "  of which forward", s * 1e6);
    let s = best_secs(|| sp().weight_grad(&dz, o, black_box(&mut dw)), 200);
    println!("{:<34} {:>9.1} us", "  of which weight gradient", s * 1e6);
    let stride = kernels::padded(o);
    let mut wt = vec![0f32; PIXELS * stride];
    let s = best_secs(
        || kernels::transpose(&w, PIXELS, o, PIXELS, black_box(&mut wt), stride, false),
        200,
    );
    println!(
        "{:<34} {:>9.1} us",
        "  transposing W (in the forward)",
        s * 1e6
    );
}

/// The evaluation's first layer on 1000 embedded digits: the dense product over converted
/// pixels against the sparse one that skips zero pixels. GFLOP/s counts the dense work.
fn first_layer_from_pixels() {
    let raw = load(DatasetName::Mnist5k, None).expect("embedded digits");
    let data = prepare(&raw, &SplitConfig::new(1));
    let (rows, o) = (1000, 100);
    let images: Vec<&[u8]> = (0..rows).map(|i| data.train.pixels(i)).collect();
    let layer = FlatLayer {
        inputs: PIXELS,
        outputs: o,
        weight: (0..o * PIXELS).map(|k| (k % 7) as f32 * 0.01).collect(),
        bias: vec![0.1; o],
        act: None,
        bn: None,
        bn_after: false,
        ln: None,
    };
    let flops = (2 * rows * PIXELS * o) as f64;
    let mut x = vec![0f32; rows * PIXELS];
    let mut z = vec![0f32; rows * o];
    let s = best_secs(
        || {
            for (row, image) in x.chunks_exact_mut(PIXELS).zip(&images) {
                data.norm.convert(image, row);
            }
            kernels::abt(rows, o, PIXELS, &x, &layer.weight, black_box(&mut z), false)
        },
        20,
    );
    report(&format!("pixels dense   {rows}x{PIXELS}x{o}"), flops, s);
    let first = PixelInput::new(&layer, data.norm.table()).expect("finite weights");
    let nonzero = NonzeroPixels::of(images.iter().copied());
    let mut out = Vec::new();
    let s = best_secs(
        || first.linear((0..rows).map(|i| nonzero.get(i)), black_box(&mut out)),
        20,
    );
    report(&format!("pixels sparse  {rows}x{PIXELS}x{o}"), flops, s);
    let s = best_secs(
        || {
            black_box(PixelInput::new(&layer, data.norm.table()));
        },
        20,
    );
    println!(
        "{:<34} {:>9.1} us",
        "pixels sparse setup (per eval)",
        s * 1e6
    );
    let s = best_secs(
        || {
            black_box(NonzeroPixels::of(images.iter().copied()));
        },
        20,
    );
    println!(
        "{:<34} {:>9.1} us",
        "pixels listed (once per subset)",
        s * 1e6
    );
}
