//! One trainer: builds its network, walks the shared batch sequence, reports events.

use crate::metric::Metric;
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use dfdx::losses::cross_entropy_with_logits_loss;
use dfdx::prelude::*;
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use super::cadence::{Cadence, PROBE_CAP, SERIES_CAP};
use super::config::{JobSpec, RunConfig};
use super::dense_eval::DenseEval;
use super::eval::{activation_inputs, argmax, evaluate};
use super::events::{BnUnit, Control, Event, Status};
use super::optim::Opt;
use crate::data::{Prepared, CLASSES, PIXELS};
use crate::model::{self, probe, Dev, Net, NetSpec, Network, E, HIDDEN};
use crate::seeds::mix;

/// Images in the fixed probe batch (the first validation images).
pub const PROBE_BATCH: usize = 512;
/// Logged mean losses this many times the loss before training, this many logs in a row,
/// mean divergence (a loss can explode without becoming NaN).
const EXPLODE_FACTOR: f64 = 10.0;
const EXPLODE_LOGS: u32 = 10;

/// The order in which training items are visited in `epoch`; identical for every variant.
pub fn epoch_order(seed: u64, epoch: u64, n: usize) -> Vec<u32> {
    let mut order: Vec<u32> = (0..n as u32).collect();
    order.shuffle(&mut ChaCha8Rng::seed_from_u64(mix(
        seed,
        0xBA7C_0000 + epoch,
    )));
    order
}

pub struct Job {
    pub spec: JobSpec,
    pub config: Arc<RunConfig>,
    pub data: Arc<Prepared>,
    pub events: Sender<Event>,
    pub control: Arc<Control>,
}

/// Runs a job to the end on the current thread; one network type serves every variant and
/// depth.
pub fn run(job: &Job) {
    train(job)
}

struct Outcome {
    status: Status,
    step: u64,
    message: Option<String>,
}

fn train(job: &Job) {
    let t0 = Instant::now();
    let mut paused = std::time::Duration::ZERO;
    let mut samples = 0u64;
    let outcome = train_loop(job, &mut paused, &mut samples);
    let elapsed = (t0.elapsed() - paused).as_secs_f64();
    let _ = job.events.send(Event::Finished {
        id: job.spec.id,
        status: outcome.status,
        step: outcome.step,
        message: outcome.message,
        elapsed_s: elapsed,
        samples_per_sec: samples as f64 / elapsed.max(1e-9),
    });
}

fn train_loop(job: &Job, paused: &mut std::time::Duration, samples: &mut u64) -> Outcome {
    let (cfg, data, spec) = (&*job.config, &*job.data, &job.spec);
    let id = spec.id;
    let dev = Dev::seed_from_u64(mix(id.seed, 0xDE7));
    let mut net = model::build(
        &dev,
        &NetSpec {
            variant: id.variant,
            depth: spec.depth,
            activation: cfg.activation,
            init: spec.init,
            seed: id.seed,
            settings: model::kinds::VariantSettings {
                dropout: cfg.dropout as f32,
            },
        },
    );
    let mut opt = Opt::new(&net, cfg.optimizer, spec.lr, cfg.momentum);
    // Frankle et al.'s variants keep part of the net at its init; the rest trains as usual.
    let freeze = model::freeze::Freeze::new(&net, id.variant.trainable(), id.seed);
    let b = spec.batch_size;
    let n_train = data.train.len();
    if n_train < b {
        return Outcome {
            status: Status::Failed,
            step: 0,
            message: Some(format!(
                "batch size {b} is larger than the training set ({n_train} images)"
            )),
        };
    }
    let spe = cfg.steps_per_epoch(n_train, b);
    let total = cfg.total_steps(n_train, b);
    // Batch Renorm's clipping schedule is scaled to the run's length.
    net.renorm = model::renorm::Schedule::new(total);
    let mut log_due = Cadence::new(cfg.log_every, SERIES_CAP);
    let mut eval_due = Cadence::new(cfg.eval_interval(n_train, b), SERIES_CAP);
    let mut probe_due = Cadence::new(cfg.probe_every, PROBE_CAP);
    let mut smooth_due = Cadence::new(cfg.smooth_every, PROBE_CAP);
    let mut ics_due = Cadence::new(cfg.ics_every, PROBE_CAP);
    let send = |e: Event| {
        let _ = job.events.send(e);
    };
    send(Event::Started {
        id,
        total_steps: total,
        steps_per_epoch: spe,
        point_value: spec.point_value,
    });

    let probe = ProbeBatch::new(data);
    let mut bn_prev = Vec::new();
    let mut xbuf = vec![0f32; b * PIXELS];
    let mut ybuf = vec![0u8; b];
    let mut onehot = vec![0f32; b * CLASSES];
    let mut lv = vec![0f32; b * CLASSES];
    let mut xt: Tensor<(usize, Const<PIXELS>), E, Dev> = dev.zeros_like(&(b, Const));
    let mut yt: Tensor<(usize, Const<CLASSES>), E, Dev> = dev.zeros_like(&(b, Const));
    let mut grads = net.alloc_grads();
    let mut order = Vec::new();
    let (mut sum_loss, mut sum_correct, mut logged) = (0f64, 0usize, 0u64);
    let mut first_loss: Option<f64> = None;
    let mut high_logs = 0u32;
    let mut window_t = Instant::now();
    let mut window_samples = 0u64;
    let run_t = Instant::now();

    // Returns the validation accuracy, which decides whether the thresholds were crossed.
    let eval = |net: &Net, step: u64, out: &mut Vec<(Metric, f64)>| -> f64 {
        let (l, a) = evaluate(net, &dev, &data.val, &data.norm);
        out.push((Metric::ValLoss, l));
        out.push((Metric::ValAcc, a));
        if cfg.train_eval {
            let (l, a) = evaluate(net, &dev, &data.train_eval, &data.norm);
            out.push((Metric::TrainEvalLoss, l));
            out.push((Metric::TrainEvalAcc, a));
        }
        if let Some(u) = probe.bn_unit(net) {
            send(Event::BnUnit { id, step, unit: u });
        }
        a
    };
    let mut dense = DenseEval::new(cfg.eval_interval(n_train, b));
    let mut values = Vec::new();
    if cfg.init_grad_batches > 0 {
        let first = epoch_order(id.seed, 0, n_train);
        let (n, r) = (cfg.init_grad_batches, cfg.reference_ops);
        super::init_grads::probe(&net, &dev, data, &first, b, n, r, &mut values);
    }
    dense.last_acc = eval(&net, 0, &mut values);
    send(Event::Metrics {
        id,
        step: 0,
        epoch: 0.0,
        values: std::mem::take(&mut values),
    });

    for step in 1..=total {
        if job.control.is_paused() {
            let waited = job.control.wait_while_paused();
            *paused += waited;
            window_t += waited;
        }
        if job.control.is_stopped() {
            return Outcome {
                status: Status::Interrupted,
                step: step - 1,
                message: None,
            };
        }
        #[cfg(feature = "fault-injection")]
        if cfg.inject_panic == Some((id.variant, step)) {
            panic!("injected fault at step {step}");
        }
        let i = (step - 1) % spe;
        if i == 0 {
            order = epoch_order(id.seed, (step - 1) / spe, n_train);
        }
        let pos = i as usize * b;
        data.norm
            .fill_batch(&data.train, &order[pos..pos + b], &mut xbuf, &mut ybuf);
        if let Some(next) = order.get(pos + b..pos + 2 * b) {
            prefetch_images(&data.train, next);
        }
        onehot.fill(0.0);
        for (r, &y) in ybuf.iter().enumerate() {
            onehot[r * CLASSES + y as usize] = 1.0;
        }
        xt.copy_from(&xbuf);
        yt.copy_from(&onehot);

        let x = xt.clone().traced(grads);
        // dfdx's own ops on request, so a whole run can be compared against the fused ones.
        let logits = if cfg.reference_ops {
            net.forward_train_dfdx(x)
        } else {
            net.forward_train(x)
        };
        logits.copy_into(&mut lv);
        let loss = cross_entropy_with_logits_loss(logits, yt.clone());
        let loss_v = f64::from(loss.array());
        grads = loss.backward();
        if !loss_v.is_finite() {
            return Outcome {
                status: Status::Diverged,
                step,
                message: Some(format!("loss became {loss_v} at step {step}")),
            };
        }
        // The loss before any update is the reference a diverging loss is measured against.
        let first = *first_loss.get_or_insert(loss_v);
        sum_loss += loss_v;
        sum_correct += lv
            .chunks_exact(CLASSES)
            .zip(&ybuf)
            .filter(|(row, &y)| argmax(row) == y as usize)
            .count();
        logged += 1;
        *samples += b as u64;
        window_samples += b as u64;

        let epoch = step as f64 / spe as f64;
        if log_due.due(step) || step == total {
            let mean = sum_loss / logged as f64;
            let gnorm = net.grad_norm(&mut grads);
            values.push((Metric::TrainLoss, mean));
            values.push((
                Metric::TrainAcc,
                sum_correct as f64 / (logged as f64 * b as f64),
            ));
            values.push((Metric::GradNorm, gnorm));
            high_logs = if mean > EXPLODE_FACTOR * first.max(0.1) {
                high_logs + 1
            } else {
                0
            };
            (sum_loss, sum_correct, logged) = (0.0, 0, 0);
            let dt = window_t.elapsed().as_secs_f64();
            send(Event::Progress {
                id,
                step,
                elapsed_s: run_t.elapsed().as_secs_f64() - paused.as_secs_f64(),
                samples_per_sec: window_samples as f64 / dt.max(1e-9),
            });
            window_t = Instant::now();
            window_samples = 0;
        }
        if probe_due.due(step) || (step == 1 && cfg.probe_every > 0) {
            let stats = net.layer_stats(Some(&grads));
            probe::layer_metrics(&stats, net.hidden_layers(), &mut bn_prev, &mut values);
            let mut taps = Vec::new();
            activation_inputs(&net, &data.val, PROBE_BATCH, &data.norm, &mut taps);
            probe::preact_metrics(&taps, 0, HIDDEN, &mut values);
            // Only where the taps are the BN's outputs: after the activation they are not.
            if id.variant.norm() == model::Norm::BnBefore {
                let eps = net.batchnorm(0).map_or(1e-5, |b| b.epsilon);
                probe::var_shift_metrics(&stats, &taps, HIDDEN, eps, &mut values);
            }
        }
        if smooth_due.due(step) {
            super::smooth::probe(
                &net,
                &grads,
                (&xt, &yt),
                spec.lr,
                cfg.reference_ops,
                &mut values,
            );
        }
        if ics_due.due(step) || (step == 1 && cfg.ics_every > 0) {
            let (lr, r) = (spec.lr, cfg.reference_ops);
            super::ics::probe(&net, &grads, (&xt, &yt), lr, r, &mut values);
        }
        if let Err(e) = opt.update(&mut net, &grads) {
            return Outcome {
                status: Status::Failed,
                step,
                message: Some(e.to_string()),
            };
        }
        freeze.restore(&mut net);
        net.zero_grads(&mut grads);

        if eval_due.due(step) || step == total {
            let acc = eval(&net, step, &mut values);
            // The nets kept since the last evaluation, evaluated where a threshold was
            // crossed, so steps to 90/95/97% are known to `dense_eval::DENSE_STEP` steps.
            for (s, kept) in dense.crossed(acc) {
                let mut v = Vec::with_capacity(2);
                let (l, a) = evaluate(&kept, &dev, &data.val, &data.norm);
                v.extend([(Metric::ValLoss, l), (Metric::ValAcc, a)]);
                send(Event::Metrics {
                    id,
                    step: s,
                    epoch: s as f64 / spe as f64,
                    values: v,
                });
                if dense.reached(a) {
                    break;
                }
            }
        } else if dense.wants(step) {
            dense.keep(step, net.clone());
        }
        // Evaluation runs on BN's running statistics, so a NaN there shows up here too.
        let non_finite = values.iter().find(|(_, v)| !v.is_finite());
        let message = non_finite.map(|(m, v)| format!("{m} became {v} at step {step}"));
        if !values.is_empty() {
            send(Event::Metrics {
                id,
                step,
                epoch,
                values: std::mem::take(&mut values),
            });
        }
        if message.is_some() {
            return Outcome {
                status: Status::Diverged,
                step,
                message,
            };
        }
        if high_logs >= EXPLODE_LOGS {
            return Outcome {
                status: Status::Diverged,
                step,
                message: Some(format!(
                    "loss stayed above {EXPLODE_FACTOR}x its starting value for {EXPLODE_LOGS} logs"
                )),
            };
        }
    }
    let (tl, ta) = evaluate(&net, &dev, &data.test, &data.norm);
    send(Event::Metrics {
        id,
        step: total,
        epoch: total as f64 / spe as f64,
        values: vec![(Metric::TestLoss, tl), (Metric::TestAcc, ta)],
    });
    Outcome {
        status: Status::Finished,
        step: total,
        message: None,
    }
}

/// Asks the CPU to bring the next batch's images into cache while this step computes:
/// they sit at random places in the pixel store, so reading them cold stalls on memory.
fn prefetch_images(subset: &crate::data::Subset, positions: &[u32]) {
    for &p in positions {
        crate::kernels::prefetch(subset.pixels(p as usize));
    }
}

/// A fixed batch of validation images for the probes, converted once.
struct ProbeBatch {
    pixels: Vec<f32>,
}

impl ProbeBatch {
    fn new(data: &Prepared) -> Self {
        let n = PROBE_BATCH.min(data.val.len());
        let positions: Vec<u32> = (0..n as u32).collect();
        let mut pixels = vec![0f32; n * PIXELS];
        let mut y = vec![0u8; n];
        data.norm
            .fill_batch(&data.val, &positions, &mut pixels, &mut y);
        Self { pixels }
    }

    /// Unit 0 of the first hidden layer, computed from the probe batch and the layer's weights.
    fn bn_unit<N: Network>(&self, net: &N) -> Option<BnUnit> {
        let bn = net.batchnorm(0)?;
        let xs = net.bn_inputs_first_layer(&self.pixels, 0);
        let n = xs.len().max(1) as f32;
        let mean = xs.iter().sum::<f32>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f32>() / n;
        let (gamma, beta) = (bn.scale.as_vec()[0], bn.bias.as_vec()[0]);
        let eps = bn.epsilon as f32;
        let x = xs.first().copied().unwrap_or(0.0);
        let x_hat = (x - mean) / (var + eps).sqrt();
        Some(BnUnit {
            layer: 1,
            unit: 0,
            batch_mean: mean,
            batch_var: var,
            gamma,
            beta,
            running_mean: bn.running_mean.as_vec()[0],
            running_var: bn.running_var.as_vec()[0],
            epsilon: eps,
            x,
            x_hat,
            y: gamma * x_hat + beta,
        })
    }
}
