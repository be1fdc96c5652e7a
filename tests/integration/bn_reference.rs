//! bnlab's own BN paths against the maths written in the test (`support::reference`), on a
//! net trained for a few steps so that the running statistics are neither 0 nor 1: the fused
//! training op (batch statistics, running-statistics update) and the flat inference path
//! (running statistics), per batch and over a whole validation subset.

use crate::support::reference::{self, max_rel_diff};

use bnlab::data::DatasetName;
use bnlab::model::sgd::PlainSgd;
use bnlab::model::{self, Activation, Init, Net, NetSpec, Network, Variant};
use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::prelude::*;

const ROWS: usize = 32;

fn batch(data: &bnlab::data::Prepared, k: u32) -> (Vec<f32>, Vec<u8>) {
    // A prime stride over the whole set: neighbouring images may share a class.
    let n = data.train.len() as u64;
    let positions: Vec<u32> = (0..ROWS as u64)
        .map(|i| ((u64::from(k) * ROWS as u64 + i) * 7919 % n) as u32)
        .collect();
    let mut x = vec![0.0; ROWS * 784];
    let mut y = vec![0; ROWS];
    data.norm
        .fill_batch(&data.train, &positions, &mut x, &mut y);
    (x, y)
}

fn onehot(dev: &Cpu, y: &[u8]) -> Tensor<(usize, Const<10>), f32, Cpu> {
    let mut v = vec![0.0; y.len() * 10];
    for (r, &c) in y.iter().enumerate() {
        v[r * 10 + c as usize] = 1.0;
    }
    dev.tensor_from_vec(v, (y.len(), Const))
}

/// A sigmoid BN net after 150 SGD steps through the fused ops, and the data it saw.
fn trained() -> (Cpu, Net, bnlab::data::Prepared) {
    let dev = Cpu::default();
    let cfg = bnlab::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    let data = cfg.prepare_data(None).unwrap();
    let mut net: Net = model::build(
        &dev,
        &NetSpec {
            depth: 3,
            variant: Variant::Bn,
            activation: Activation::Sigmoid,
            init: Init::Default,
            seed: 9,
            settings: Default::default(),
        },
    );
    let sgd = PlainSgd { lr: 0.5 };
    let mut grads = net.alloc_grads();
    for k in 0..150 {
        let (x, y) = batch(&data, k);
        let x = dev.tensor_from_vec(x, (ROWS, Const::<784>));
        let logits = net.forward_train(x.traced(grads));
        grads = cross_entropy_with_logits_loss(logits, onehot(&dev, &y)).backward();
        sgd.update(&mut net, &grads).unwrap();
        net.zero_grads(&mut grads);
    }
    (dev, net, data)
}

#[test]
fn fused_bn_training_and_flat_inference_match_the_reference_after_training() {
    let (dev, mut net, data) = trained();
    // Training moved the running statistics well away from their start (0 and 1).
    for bn in [
        net.first.batchnorm().unwrap(),
        net.hidden[1].batchnorm().unwrap(),
    ] {
        let m = bn.running_mean.as_vec();
        let v = bn.running_var.as_vec();
        assert!(m.iter().any(|x| x.abs() > 0.1), "running mean {m:?}");
        assert!(v.iter().any(|x| (x - 1.0).abs() > 0.1), "running var {v:?}");
    }

    let (x, _) = batch(&data, 1000);
    let x64: Vec<f64> = x.iter().map(|&v| f64::from(v)).collect();
    let before = reference::bn_layers(&net);

    // Inference: the flat path normalizes with the running statistics.
    let mut infer_ref = before.clone();
    let want_infer = reference::forward(&mut infer_ref, &x64, false);
    let got_infer = net
        .forward_infer(dev.tensor_from_vec(x.clone(), (ROWS, Const)), None)
        .as_vec();
    let d = max_rel_diff(&got_infer, &want_infer);
    assert!(d < 1e-4, "flat inference differs from the reference by {d}");

    // Training mode: batch statistics, and the running statistics take one momentum step.
    let mut train_ref = before.clone();
    let want_train = reference::forward(&mut train_ref, &x64, true);
    let got_train = net
        .forward_train(dev.tensor_from_vec(x, (ROWS, Const)).leaky_traced())
        .retaped::<NoneTape>()
        .as_vec();
    let d = max_rel_diff(&got_train, &want_train);
    assert!(d < 1e-4, "fused training forward differs by {d}");
    let gap = want_train
        .iter()
        .zip(&want_infer)
        .map(|(a, b)| (a - b).abs())
        .fold(0.0, f64::max);
    assert!(
        gap > 1e-2,
        "batch and running statistics give the same logits"
    );
    for (got, want) in reference::bn_layers(&net).iter().zip(&train_ref) {
        let (Some(g), Some(w)) = (&got.bn, &want.bn) else {
            continue;
        };
        for (a, b) in [(&g.mean, &w.mean), (&g.var, &w.var)] {
            let d = a
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs() / y.abs().max(1.0))
                .fold(0.0, f64::max);
            assert!(d < 1e-4, "running statistics update differs by {d}");
        }
    }
}

#[test]
fn evaluation_over_a_subset_matches_the_reference_with_running_stats() {
    let (dev, net, data) = trained();
    let (loss, acc) = bnlab::train::eval::evaluate(&net, &dev, &data.val, &data.norm);
    let n = data.val.len();
    let mut x = vec![0.0; 784];
    let mut x64 = Vec::with_capacity(n * 784);
    let mut labels = Vec::with_capacity(n);
    for i in 0..n {
        data.norm.convert(data.val.pixels(i), &mut x);
        x64.extend(x.iter().map(|&v| f64::from(v)));
        labels.push(data.val.label(i));
    }
    let mut layers = reference::bn_layers(&net);
    let logits = reference::forward(&mut layers, &x64, false);
    let (want_loss, want_acc) = reference::loss_and_accuracy(&logits, &labels);
    assert!(
        (loss - want_loss).abs() < 1e-4 * want_loss.max(1.0),
        "loss {loss} vs reference {want_loss}"
    );
    // A near tie may flip one prediction between f32 and f64.
    assert!(
        (acc - want_acc).abs() <= 2.0 / n as f64,
        "accuracy {acc} vs reference {want_acc}"
    );
    assert!(
        want_acc > 0.5,
        "the trained net should beat chance: {want_acc}"
    );
}
