//! The MLP as one dfdx type: a first block from the pixels, any number of hidden blocks, a
//! linear head. Depth, normalization and activation are run-time values, so every form of the
//! net is the same compiled type.

use dfdx::nn::modules::{BatchNorm1D, LayerNorm1D, Linear};
use dfdx::prelude::*;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Normal, Uniform};

pub use super::block::HIDDEN;
use super::block::{flat_head, values, Batch, Dev, Layer, Traced, E};
use super::flat::{FlatNet, Scratch};
use super::fused;
use super::kinds::{Activation, Block, Init, Norm, Variant, VariantSettings};
use super::renorm::Schedule;
use super::stream::Stream;
use crate::seeds::mix;

pub const INPUT: usize = 784;
pub const OUTPUT: usize = 10;
/// The deepest net a run may ask for (hidden layers, the first one included).
pub const MAX_DEPTH: usize = 60;

/// `first` maps pixels to the hidden width, `hidden` holds the other hidden layers,
/// `head` produces the logits. Its dfdx tensor collection is in `collection`.
#[derive(Debug, Clone)]
pub struct Net<E2: Dtype = E, D: Storage<E2> = Dev> {
    pub first: Layer<INPUT, E2, D>,
    pub hidden: Vec<Layer<HIDDEN, E2, D>>,
    pub head: Linear<HIDDEN, OUTPUT, E2, D>,
    /// What training draws at each step (dropout masks, noisy BN's noise), seeded from the
    /// spec's seed.
    pub stream: Stream,
    /// Batch Renorm's clipping schedule and the training steps taken; a trainer sets the
    /// run's length (`Schedule::new`), other variants ignore it.
    pub renorm: Schedule,
}

impl<E2: Dtype, D: Storage<E2>> Net<E2, D> {
    /// Hidden layers, the first one included.
    pub fn depth(&self) -> usize {
        1 + self.hidden.len()
    }

    /// The BatchNorm of hidden layer `layer` (0 = the first), if it has one.
    pub fn bn_of(&self, layer: usize) -> Option<&BatchNorm1D<HIDDEN, E2, D>> {
        match layer {
            0 => self.first.batchnorm(),
            l => self.hidden.get(l - 1).and_then(|b| b.batchnorm()),
        }
    }

    pub fn bn_of_mut(&mut self, layer: usize) -> Option<&mut BatchNorm1D<HIDDEN, E2, D>> {
        match layer {
            0 => self.first.batchnorm_mut(),
            l => self.hidden.get_mut(l - 1).and_then(|b| b.batchnorm_mut()),
        }
    }

    /// The LayerNorm of hidden layer `layer` (0 = the first), if it has one.
    pub fn ln_of(&self, layer: usize) -> Option<&LayerNorm1D<HIDDEN, E2, D>> {
        match layer {
            0 => self.first.layernorm(),
            l => self.hidden.get(l - 1).and_then(|b| b.layernorm()),
        }
    }

    pub fn ln_of_mut(&mut self, layer: usize) -> Option<&mut LayerNorm1D<HIDDEN, E2, D>> {
        match layer {
            0 => self.first.layernorm_mut(),
            l => self.hidden.get_mut(l - 1).and_then(|b| b.layernorm_mut()),
        }
    }

    /// Each hidden block's form, the first one's first.
    pub fn layout(&self) -> Vec<Block> {
        std::iter::once(self.first.block())
            .chain(self.hidden.iter().map(|b| b.block()))
            .collect()
    }
}

/// Everything that decides a network's initial state.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct NetSpec {
    pub variant: Variant,
    /// Hidden layers, 1 to `MAX_DEPTH`.
    pub depth: usize,
    pub activation: Activation,
    pub init: Init,
    pub seed: u64,
    /// The variant's own settings (the dropout rate, …); other variants ignore them.
    pub settings: VariantSettings,
}

/// Per linear layer (hidden layers first, the head last), for the probes.
#[derive(Debug, Clone, Default)]
pub struct LayerStats {
    pub grad_norm: f32,
    pub weight_norm: f32,
    /// The normalization's γ and β (BatchNorm's or LayerNorm's), and BN's running statistics.
    pub bn: Option<BnStats>,
}

/// `running_mean` and `running_var` are empty for a LayerNorm, which keeps none.
#[derive(Debug, Clone, Default)]
pub struct BnStats {
    pub gamma: Vec<E>,
    pub beta: Vec<E>,
    pub running_mean: Vec<E>,
    pub running_var: Vec<E>,
}

/// What a trainer needs of a network; `Net` is its one implementation, for every depth,
/// normalization and activation.
pub trait Network: TensorCollection<E, Dev, To<E, Dev> = Self> + Clone + Send + 'static {
    fn hidden_layers(&self) -> usize;
    /// Training forward through the fused ops (one tape op per layer).
    fn forward_train(&mut self, x: Batch<INPUT, Traced>) -> Batch<OUTPUT, Traced>;
    /// Training forward through dfdx's own ops, the reference for the fused ones.
    fn forward_train_dfdx(&mut self, x: Batch<INPUT, Traced>) -> Batch<OUTPUT, Traced>;
    /// `taps`, when given, receives one vector per hidden layer with the inputs of its activation.
    fn forward_infer(&self, x: Batch<INPUT>, taps: Option<&mut Vec<Vec<E>>>) -> Batch<OUTPUT>;
    /// `forward_infer` through dfdx's own ops, the reference for the flat path.
    fn forward_infer_dfdx(&self, x: Batch<INPUT>, taps: Option<&mut Vec<Vec<E>>>) -> Batch<OUTPUT>;
    /// The parameters copied out for fast inference (take one per evaluation).
    fn flat(&self) -> FlatNet;
    /// Weights drawn from the layer's own seeded stream, so nets that share a layer share its weights.
    fn init_weights(&mut self, init: Init, seed: u64);
    fn layer_stats(&self, grads: Option<&Gradients<E, Dev>>) -> Vec<LayerStats>;
    /// The gradients of every trained parameter (each linear layer's weights and biases, then
    /// its BN's or LayerNorm's γ and β), flattened in layer order.
    fn grad_vector(&self, grads: &Gradients<E, Dev>) -> Vec<E>;
    /// √Σ over linear layers of ‖∂W‖², each layer's norm as `layer_stats` computes it,
    /// without copying any gradient.
    fn grad_norm(&self, grads: &mut Gradients<E, Dev>) -> f64;
    fn batchnorm(&self, layer: usize) -> Option<&BatchNorm1D<HIDDEN, E, Dev>>;
    /// The values entering the first layer's BN at `unit`, one per row of `pixels`.
    fn bn_inputs_first_layer(&self, pixels: &[E], unit: usize) -> Vec<E>;
}

/// Builds the network a spec asks for. The parameters are made in dfdx's build order (each
/// block's linear layer, then its BN), then the weights are drawn from their seeded streams.
pub fn build(dev: &Dev, spec: &NetSpec) -> Net {
    assert!(
        (1..=MAX_DEPTH).contains(&spec.depth),
        "depth {} is outside 1..={MAX_DEPTH}",
        spec.depth
    );
    let blocks = spec
        .variant
        .blocks(spec.depth, spec.activation, &spec.settings);
    let first = Layer::new(dev, blocks[0]);
    let hidden = blocks[1..].iter().map(|&b| Layer::new(dev, b)).collect();
    let head = Linear::<HIDDEN, OUTPUT, E, Dev>::build(dev);
    let mut net = Net {
        first,
        hidden,
        head,
        stream: Stream::new(spec.seed),
        renorm: Schedule::default(),
    };
    net.init_weights(spec.init, spec.seed);
    net
}

fn init_linear<const I: usize, const O: usize>(
    lin: &mut Linear<I, O, E, Dev>,
    init: Init,
    seed: u64,
    layer: u64,
) {
    let mut rng = ChaCha8Rng::seed_from_u64(mix(seed, 0x1A7E_0000 + layer));
    let (w, b): (Vec<E>, Vec<E>) = match init {
        Init::Default => {
            let bound = 1.0 / (I as E).sqrt();
            let u = Uniform::new_inclusive(-bound, bound);
            (
                (0..I * O).map(|_| u.sample(&mut rng)).collect(),
                (0..O).map(|_| u.sample(&mut rng)).collect(),
            )
        }
        gaussian => {
            let sigma = gaussian.sigma(I, O).unwrap_or(0.0);
            let n = Normal::new(0.0, sigma.max(0.0)).expect("sigma is finite");
            (
                (0..I * O).map(|_| n.sample(&mut rng)).collect(),
                vec![0.0; O],
            )
        }
    };
    lin.weight.copy_from(&w);
    lin.bias.copy_from(&b);
}

/// ‖v‖ summed in 32 interleaved lanes, then the lanes in order: a single running sum waits
/// on each addition's latency (100k of them per log on this net), lanes vectorize. The order
/// is fixed, so every instruction set gives the same bits.
fn norm_of(v: &[E]) -> f32 {
    const LANES: usize = 32;
    let mut acc = [0.0 as E; LANES];
    let chunks = v.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for (a, &x) in acc.iter_mut().zip(c) {
            *a += x * x;
        }
    }
    let lanes: E = acc.iter().sum();
    (lanes + tail.iter().map(|x| x * x).sum::<E>()).sqrt()
}

fn norm<S: Shape>(t: &Tensor<S, E, Dev>) -> f32 {
    norm_of(&values(t))
}

/// The gradient norm of a linear layer's weight, read in place.
fn weight_grad_norm<const I: usize, const O: usize>(
    lin: &Linear<I, O, E, Dev>,
    grads: &mut Gradients<E, Dev>,
) -> f32 {
    grads
        .get_or_alloc_mut(&lin.weight)
        .map_or(0.0, |g| norm_of(g))
}

fn linear_stats<const I: usize, const O: usize>(
    lin: &Linear<I, O, E, Dev>,
    bn: Option<&BatchNorm1D<O, E, Dev>>,
    ln: Option<&LayerNorm1D<O, E, Dev>>,
    grads: Option<&Gradients<E, Dev>>,
) -> LayerStats {
    let ln = ln.map(|ln| BnStats {
        gamma: values(&ln.gamma),
        beta: values(&ln.beta),
        ..BnStats::default()
    });
    LayerStats {
        grad_norm: grads.map_or(0.0, |g| norm(&g.get(&lin.weight))),
        weight_norm: norm(&lin.weight),
        bn: bn
            .map(|bn| BnStats {
                gamma: values(&bn.scale),
                beta: values(&bn.bias),
                running_mean: values(&bn.running_mean),
                running_var: values(&bn.running_var),
            })
            .or(ln),
    }
}

/// A block's normalization parameters' gradients, γ's then β's; none without one.
fn norm_grads<const I: usize>(b: &Layer<I, E, Dev>, grads: &Gradients<E, Dev>) -> Vec<E> {
    let mut out = Vec::new();
    if let Some(bn) = b.batchnorm() {
        out.extend(grads.get(&bn.scale).as_vec());
        out.extend(grads.get(&bn.bias).as_vec());
    }
    if let Some(ln) = b.layernorm() {
        out.extend(grads.get(&ln.gamma).as_vec());
        out.extend(grads.get(&ln.beta).as_vec());
    }
    out
}

impl Network for Net {
    fn hidden_layers(&self) -> usize {
        self.depth()
    }

    fn forward_train(&mut self, x: Batch<INPUT, Traced>) -> Batch<OUTPUT, Traced> {
        let limits = self.renorm.advance();
        let mut h = self.first.forward_train(x, false, &mut self.stream, limits);
        for b in self.hidden.iter_mut() {
            h = b.forward_train(h, true, &mut self.stream, limits);
        }
        fused::linear_act(h, &self.head, None, true)
    }

    fn forward_train_dfdx(&mut self, x: Batch<INPUT, Traced>) -> Batch<OUTPUT, Traced> {
        let limits = self.renorm.advance();
        let mut h = self.first.forward_train_dfdx(x, &mut self.stream, limits);
        for b in self.hidden.iter_mut() {
            h = b.forward_train_dfdx(h, &mut self.stream, limits);
        }
        self.head.forward(h)
    }

    fn forward_infer(&self, x: Batch<INPUT>, taps: Option<&mut Vec<Vec<E>>>) -> Batch<OUTPUT> {
        let rows = x.shape().0;
        let mut out = Vec::new();
        self.flat()
            .forward(&values(&x), rows, &mut Scratch::default(), &mut out, taps);
        x.device().tensor_from_vec(out, (rows, Const))
    }

    fn flat(&self) -> FlatNet {
        let mut layers = vec![self.first.flat()];
        layers.extend(self.hidden.iter().map(|b| b.flat()));
        layers.push(flat_head(&self.head));
        FlatNet { layers }
    }

    fn forward_infer_dfdx(
        &self,
        x: Batch<INPUT>,
        mut taps: Option<&mut Vec<Vec<E>>>,
    ) -> Batch<OUTPUT> {
        if let Some(t) = taps.as_deref_mut() {
            t.resize(self.depth(), Vec::new());
        }
        let mut h = self
            .first
            .forward_infer(x, taps.as_deref_mut().map(|t| &mut t[0]));
        for (i, b) in self.hidden.iter().enumerate() {
            h = b.forward_infer(h, taps.as_deref_mut().map(|t| &mut t[i + 1]));
        }
        self.head.forward(h)
    }

    fn init_weights(&mut self, init: Init, seed: u64) {
        init_linear(&mut self.first.lin, init, seed, 0);
        for (i, b) in self.hidden.iter_mut().enumerate() {
            init_linear(&mut b.lin, init, seed, i as u64 + 1);
        }
        init_linear(&mut self.head, init, seed, self.hidden.len() as u64 + 1);
    }

    fn layer_stats(&self, grads: Option<&Gradients<E, Dev>>) -> Vec<LayerStats> {
        let mut out = Vec::with_capacity(self.depth() + 1);
        let f = &self.first;
        out.push(linear_stats(&f.lin, f.batchnorm(), f.layernorm(), grads));
        for b in &self.hidden {
            out.push(linear_stats(&b.lin, b.batchnorm(), b.layernorm(), grads));
        }
        out.push(linear_stats(&self.head, None, None, grads));
        out
    }

    fn grad_vector(&self, grads: &Gradients<E, Dev>) -> Vec<E> {
        let mut out = Vec::new();
        let mut push = |w: Vec<E>, b: Vec<E>| {
            out.extend(w);
            out.extend(b);
        };
        // γ and β are trained too, so a step along −g moves them: a vector without them
        // would measure ‖Δw‖ short and overstate the landscape's curvature for BN nets.
        let l = &self.first.lin;
        push(grads.get(&l.weight).as_vec(), grads.get(&l.bias).as_vec());
        push(norm_grads(&self.first, grads), Vec::new());
        for blk in &self.hidden {
            let l = &blk.lin;
            push(grads.get(&l.weight).as_vec(), grads.get(&l.bias).as_vec());
            push(norm_grads(blk, grads), Vec::new());
        }
        push(
            grads.get(&self.head.weight).as_vec(),
            grads.get(&self.head.bias).as_vec(),
        );
        out
    }

    fn grad_norm(&self, grads: &mut Gradients<E, Dev>) -> f64 {
        let mut norms = vec![weight_grad_norm(&self.first.lin, grads)];
        for b in &self.hidden {
            norms.push(weight_grad_norm(&b.lin, grads));
        }
        norms.push(weight_grad_norm(&self.head, grads));
        norms
            .iter()
            .map(|&n| f64::from(n).powi(2))
            .sum::<f64>()
            .sqrt()
    }

    fn batchnorm(&self, layer: usize) -> Option<&BatchNorm1D<HIDDEN, E, Dev>> {
        self.bn_of(layer)
    }

    fn bn_inputs_first_layer(&self, pixels: &[E], unit: usize) -> Vec<E> {
        let lin = &self.first.lin;
        let w = values(&lin.weight);
        let row = &w[unit * INPUT..(unit + 1) * INPUT];
        let bias = values(&lin.bias)[unit];
        let act = self.first.activation();
        let after = self.first.norm() == Norm::BnAfter;
        pixels
            .chunks_exact(INPUT)
            .map(|p| {
                let z = p.iter().zip(row).map(|(a, b)| a * b).sum::<E>() + bias;
                if after {
                    act.apply(z)
                } else {
                    z
                }
            })
            .collect()
    }
}

#[cfg(test)]
mod norm_tests {
    #[test]
    fn lane_sums_match_a_plain_norm() {
        for n in [0, 1, 31, 32, 33, 100, 78_400] {
            let v: Vec<f32> = (0..n)
                .map(|i| ((i * 37 % 101) as f32 - 50.0) * 1e-3)
                .collect();
            let want = v
                .iter()
                .map(|&x| f64::from(x) * f64::from(x))
                .sum::<f64>()
                .sqrt();
            let got = f64::from(super::norm_of(&v));
            assert!(
                (got - want).abs() <= 1e-5 * want.max(1e-9),
                "n={n}: {got} vs {want}"
            );
        }
    }
}
