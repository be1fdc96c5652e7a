//! The optimizers a run can use, behind one type.

use dfdx::optim::{Adam, AdamConfig, Momentum, Optimizer, Sgd, SgdConfig};
use dfdx::prelude::*;

use super::config::OptimizerKind;
use crate::model::sgd::{PlainSgd, UpdateError};
use crate::model::{Dev, Network, E};

pub enum Opt<N: Network> {
    /// Momentum 0: the same bits as dfdx's `Sgd`, without its scalar loop and velocity.
    PlainSgd(PlainSgd),
    Sgd(Sgd<N, E, Dev>),
    Adam(Adam<N, E, Dev>),
}

impl<N: Network> Opt<N> {
    pub fn new(net: &N, kind: OptimizerKind, lr: f64, momentum: f64) -> Self {
        match kind {
            // dfdx's no-momentum branch compiles to masked stores that are ~10x slower on
            // AVX-512 CPUs, and Classic(0) spends a velocity buffer: momentum 0 uses PlainSgd.
            OptimizerKind::Sgd if momentum == 0.0 => Opt::PlainSgd(PlainSgd { lr }),
            OptimizerKind::Sgd => Opt::Sgd(Sgd::new(
                net,
                SgdConfig {
                    lr,
                    momentum: Some(Momentum::Classic(momentum)),
                    weight_decay: None,
                },
            )),
            OptimizerKind::Adam => Opt::Adam(Adam::new(
                net,
                AdamConfig {
                    lr,
                    ..Default::default()
                },
            )),
        }
    }

    pub fn update(&mut self, net: &mut N, grads: &Gradients<E, Dev>) -> Result<(), UpdateError> {
        let (optimizer, r) = match self {
            Opt::PlainSgd(o) => return o.update(net, grads),
            Opt::Sgd(o) => ("SGD", o.update(net, grads)),
            Opt::Adam(o) => ("Adam", o.update(net, grads)),
        };
        r.map_err(|e| UpdateError {
            optimizer,
            detail: format!("{e:?}"),
        })
    }
}
