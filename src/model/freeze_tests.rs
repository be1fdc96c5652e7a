use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::optim::{Adam, AdamConfig, Optimizer};
use dfdx::prelude::*;

use super::*;
use crate::model::sgd::PlainSgd;
use crate::model::{Init, Network, Variant};

fn net(variant: Variant, depth: usize) -> Net {
    crate::model::test_net(variant, depth, Init::He { gain: 1.0 })
}

/// Each hidden block's weight, bias, γ and β, then the head's weight and bias.
fn parts(n: &Net) -> (Vec<[Vec<E>; 4]>, Vec<E>, Vec<E>) {
    let mut blocks = vec![block_parts(&n.first)];
    blocks.extend(n.hidden.iter().map(block_parts));
    (blocks, values(&n.head.weight), values(&n.head.bias))
}

fn block_parts<const I: usize>(l: &Layer<I, E, Dev>) -> [Vec<E>; 4] {
    let bn = l.batchnorm().expect("the experiment's nets have BN");
    [
        values(&l.lin.weight),
        values(&l.lin.bias),
        values(&bn.scale),
        values(&bn.bias),
    ]
}

fn grads_of(n: &mut Net, seed: u64) -> Gradients<E, Dev> {
    let dev = Dev::seed_from_u64(seed);
    let x: Tensor<(usize, Const<784>), E, Dev> = dev.sample_normal_like(&(16, Const));
    let y: Tensor<(usize, Const<10>), E, Dev> = dev.sample_uniform_like(&(16, Const));
    cross_entropy_with_logits_loss(n.forward_train(x.traced(n.alloc_grads())), y).backward()
}

fn changed(a: &[E], b: &[E]) -> Vec<usize> {
    (0..a.len()).filter(|&i| a[i] != b[i]).collect()
}

/// Three steps of SGD and of Adam on each kind: exactly the parameters the kind trains move.
#[test]
fn only_what_a_variant_trains_moves_under_every_optimizer() {
    for variant in [Variant::BnOnly, Variant::BnRandom, Variant::BnFrozen] {
        for adam in [false, true] {
            let mut n = net(variant, 3);
            let before = parts(&n);
            let freeze = Freeze::new(&n, variant.trainable(), 11);
            let mut opt = Adam::new(&n, AdamConfig::default());
            for s in 0..3 {
                let g = grads_of(&mut n, s);
                if adam {
                    opt.update(&mut n, &g).unwrap();
                } else {
                    PlainSgd { lr: 0.1 }.update(&mut n, &g).unwrap();
                }
                freeze.restore(&mut n);
            }
            let after = parts(&n);
            let what = format!("{variant:?}, adam {adam}");
            assert!(!changed(&after.1, &before.1).is_empty(), "{what}: head");
            assert!(
                !changed(&after.2, &before.2).is_empty(),
                "{what}: head bias"
            );
            for (l, (a, b)) in after.0.iter().zip(&before.0).enumerate() {
                let moved: Vec<Vec<usize>> = (0..4).map(|k| changed(&a[k], &b[k])).collect();
                assert!(moved[1].is_empty(), "{what}, block {l}: bias moved");
                let norm_moves = variant == Variant::BnOnly;
                for k in [2, 3] {
                    assert_eq!(!moved[k].is_empty(), norm_moves, "{what}, block {l}, {k}");
                }
                match variant {
                    Variant::BnRandom => {
                        let fan_in = a[0].len() / HIDDEN;
                        let mut per_unit = vec![0; HIDDEN];
                        for &i in &moved[0] {
                            per_unit[i / fan_in] += 1;
                        }
                        assert!(per_unit.iter().all(|&c| c <= 2), "{what}, block {l}");
                        // Dead ReLU inputs can keep a few still; most must move.
                        assert!(moved[0].len() > HIDDEN, "{what}, block {l}: {per_unit:?}");
                    }
                    _ => assert!(moved[0].is_empty(), "{what}, block {l}: weight moved"),
                }
            }
        }
    }
}

/// The reference: plain SGD written out on the trained entries alone, p − lr·g, with the
/// gradients of the partly frozen net; the frozen net must match it to the bit.
#[test]
fn the_trained_entries_take_exactly_the_sgd_step_of_their_own_gradient() {
    let lr = 0.3;
    let mut n = net(Variant::BnRandom, 2);
    let freeze = Freeze::new(&n, Trainable::RandomPerUnit(2), 11);
    let mut want = parts(&n);
    for s in 0..3 {
        let g = grads_of(&mut n, s);
        let step = |p: &mut Vec<E>, gr: Vec<E>, only: Option<&[usize]>| match only {
            Some(ix) => ix.iter().for_each(|&i| p[i] -= lr as E * gr[i]),
            None => p.iter_mut().zip(gr).for_each(|(p, g)| *p -= lr as E * g),
        };
        step(
            &mut want.0[0][0],
            values(&g.get(&n.first.lin.weight)),
            Some(&freeze.layers[0].trained),
        );
        step(
            &mut want.0[1][0],
            values(&g.get(&n.hidden[0].lin.weight)),
            Some(&freeze.layers[1].trained),
        );
        step(&mut want.1, values(&g.get(&n.head.weight)), None);
        step(&mut want.2, values(&g.get(&n.head.bias)), None);
        PlainSgd { lr }.update(&mut n, &g).unwrap();
        freeze.restore(&mut n);
        assert_eq!(parts(&n), want, "step {s}");
    }
}

#[test]
fn the_random_subset_trains_as_many_hidden_parameters_as_bn_only() {
    let n = net(Variant::BnRandom, 4);
    let only = Freeze::new(&n, Trainable::NormOnly, 11);
    let random = Freeze::new(&n, Trainable::RandomPerUnit(2), 11);
    assert_eq!(only.trained_hidden_params(), Some(4 * 2 * HIDDEN));
    assert_eq!(random.trained_hidden_params(), only.trained_hidden_params());
    assert_eq!(
        Freeze::new(&n, Trainable::HeadOnly, 11).trained_hidden_params(),
        Some(0)
    );
    assert_eq!(
        Freeze::new(&n, Trainable::All, 11).trained_hidden_params(),
        None
    );
    // Seeded: the same seed picks the same weights, another seed and another layer others.
    let again = Freeze::new(&n, Trainable::RandomPerUnit(2), 11);
    let other = Freeze::new(&n, Trainable::RandomPerUnit(2), 12);
    assert_eq!(random.layers[1].trained, again.layers[1].trained);
    assert_ne!(random.layers[1].trained, other.layers[1].trained);
    assert_ne!(random.layers[1].trained, random.layers[2].trained);
    for (l, b) in random.layers.iter().enumerate() {
        let fan_in = if l == 0 { 784 } else { HIDDEN };
        let mut per_unit = vec![0; HIDDEN];
        for &i in &b.trained {
            per_unit[i / fan_in] += 1;
        }
        assert!(per_unit.iter().all(|&c| c == 2), "block {l}: {per_unit:?}");
    }
}

#[test]
fn a_net_that_trains_everything_restores_nothing() {
    let mut n = net(Variant::Bn, 2);
    let f = Freeze::new(&n, Variant::Bn.trainable(), 11);
    let g = grads_of(&mut n, 0);
    PlainSgd { lr: 0.1 }.update(&mut n, &g).unwrap();
    let moved = parts(&n);
    f.restore(&mut n);
    assert_eq!(parts(&n), moved);
}
