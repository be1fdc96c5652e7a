//! Training only part of a net (Frankle et al. 2020, "Training BatchNorm and Only BatchNorm").
//! After each optimizer step the parameters a variant does not train are put back to their
//! values at initialization. Restoring after the step, rather than masking the gradient,
//! holds for every optimizer bnlab has: SGD, momentum and Adam are elementwise (an entry's
//! update reads only its own gradient and state), so the trained entries move exactly as in a
//! net whose other entries were constants, and the frozen ones never move.

use dfdx::nn::modules::Linear;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::block::Layer;
use super::kinds::Trainable;
use super::net::Net;
use super::types::{values, Dev, E, HIDDEN};
use crate::seeds::mix;

/// What a trainer restores after each step; nothing for a net that trains everything.
#[derive(Debug, Clone, Default)]
pub struct Freeze {
    layers: Vec<FrozenBlock>,
}

#[derive(Debug, Clone)]
struct FrozenBlock {
    weight: Vec<E>,
    bias: Vec<E>,
    /// The weight entries that train, ascending; empty when none does.
    trained: Vec<usize>,
    /// γ and β as built, when they are frozen too.
    gamma_beta: Option<(Vec<E>, Vec<E>)>,
}

impl Freeze {
    /// Records what `net` must keep, as it is now (at initialization). The weights of
    /// `RandomPerUnit` are drawn from `seed`, so every run of one seed trains the same ones.
    pub fn new(net: &Net, trainable: Trainable, seed: u64) -> Self {
        let (per_unit, norm_frozen) = match trainable {
            Trainable::All => return Freeze::default(),
            Trainable::NormOnly => (0, false),
            Trainable::RandomPerUnit(k) => (k, true),
            Trainable::HeadOnly => (0, true),
        };
        let mut layers = vec![block(&net.first, 0, per_unit, norm_frozen, seed)];
        for (i, l) in net.hidden.iter().enumerate() {
            layers.push(block(l, i + 1, per_unit, norm_frozen, seed));
        }
        Freeze { layers }
    }

    /// Puts the frozen parameters of `net` back.
    pub fn restore(&self, net: &mut Net) {
        let Some((first, rest)) = self.layers.split_first() else {
            return;
        };
        first.restore(&mut net.first);
        for (f, l) in rest.iter().zip(&mut net.hidden) {
            f.restore(l);
        }
    }

    /// Parameters of the hidden blocks that train (γ and β included), summed over blocks: the
    /// tests hold the two frozen arms to the same count.
    #[cfg(test)]
    pub fn trained_hidden_params(&self) -> Option<usize> {
        (!self.layers.is_empty()).then(|| {
            self.layers
                .iter()
                .map(|b| {
                    b.trained.len()
                        + if b.gamma_beta.is_some() {
                            0
                        } else {
                            2 * HIDDEN
                        }
                })
                .sum()
        })
    }
}

fn block<const I: usize>(
    layer: &Layer<I, E, Dev>,
    index: usize,
    per_unit: usize,
    norm_frozen: bool,
    seed: u64,
) -> FrozenBlock {
    let mut trained = Vec::with_capacity(per_unit * HIDDEN);
    if per_unit > 0 {
        let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, 0xF2EE_0000 + index as u64));
        for unit in 0..HIDDEN {
            // dfdx's weight is (out, in): a unit's inputs are one row.
            let row = rand::seq::index::sample(&mut rng, I, per_unit.min(I));
            trained.extend(row.into_iter().map(|c| unit * I + c));
        }
        trained.sort_unstable();
    }
    let gamma_beta = norm_frozen
        .then(|| layer.batchnorm())
        .flatten()
        .map(|bn| (values(&bn.scale), values(&bn.bias)));
    FrozenBlock {
        weight: values(&layer.lin.weight),
        bias: values(&layer.lin.bias),
        trained,
        gamma_beta,
    }
}

impl FrozenBlock {
    fn restore<const I: usize>(&self, layer: &mut Layer<I, E, Dev>) {
        restore_linear(&mut layer.lin, &self.weight, &self.bias, &self.trained);
        if let (Some((g, b)), Some(bn)) = (&self.gamma_beta, layer.batchnorm_mut()) {
            bn.scale.copy_from(g);
            bn.bias.copy_from(b);
        }
    }
}

fn restore_linear<const I: usize>(
    lin: &mut Linear<I, HIDDEN, E, Dev>,
    weight: &[E],
    bias: &[E],
    trained: &[usize],
) {
    if trained.is_empty() {
        lin.weight.copy_from(weight);
    } else {
        let now = values(&lin.weight);
        let mut w = weight.to_vec();
        for &i in trained {
            w[i] = now[i];
        }
        lin.weight.copy_from(&w);
    }
    lin.bias.copy_from(bias);
}

#[cfg(test)]
#[path = "freeze_tests.rs"]
mod tests;
