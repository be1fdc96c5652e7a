//! `bnlab bench`: training and inference throughput on full MNIST, printed as JSON lines.
//!
//! Training is timed through the same `Session` and worker loop the UI runs (the paper's
//! preset: probes every 100 steps, logs every 10), between the first and the last progress
//! report, so the validation passes at the start and the end are not counted.

pub(crate) mod mem;
pub(crate) mod peak;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use serde_json::{json, Value};

use crate::data::{DatasetName, Prepared, Subset};
use crate::model::{self, Dev, NetSpec, Network, Variant, HIDDEN, INPUT, OUTPUT};
use crate::presets;
use crate::train::{eval, Event, OptimizerKind, RunConfig, Session};

/// Full MNIST is found like everywhere else: `--data-dir DIR` (the global flag), then
/// `$BNLAB_DATA_DIR/mnist`, then the cache.
#[derive(Debug, Args, Clone)]
pub struct BenchArgs {
    /// Only the quick cases (batch 60, SGD).
    #[arg(long)]
    pub quick: bool,
    /// Training samples per variant and case (more: steadier figures, longer bench).
    #[arg(long, default_value_t = 150_000)]
    pub samples: u64,
}

/// Multiply-adds per sample of one forward pass through the 3x100 net.
pub fn forward_macs() -> u64 {
    let layers = [
        (INPUT, HIDDEN),
        (HIDDEN, HIDDEN),
        (HIDDEN, HIDDEN),
        (HIDDEN, OUTPUT),
    ];
    layers.iter().map(|&(i, o)| (i * o) as u64).sum()
}

/// Multiply-adds of one inference pass over `subset`, whose first layer reads only the
/// non-zero pixels when they are sparse enough (as `eval::evaluate` decides).
pub fn eval_macs(subset: &Subset) -> u64 {
    let Some(nonzero) = subset.nonzero() else {
        return subset.len() as u64 * forward_macs();
    };
    let first: usize = (0..nonzero.len()).map(|i| nonzero.get(i).len()).sum();
    let rest = forward_macs() - (INPUT * HIDDEN) as u64;
    (first * HIDDEN) as u64 + subset.len() as u64 * rest
}

/// Forward, weight gradients, and input gradients of every layer but the first
/// (whose input is the data).
pub fn train_flops_per_sample() -> u64 {
    let input_grads = forward_macs() - (INPUT * HIDDEN) as u64;
    2 * (2 * forward_macs() + input_grads)
}

struct Case {
    variants: Vec<Variant>,
    batch: usize,
    optimizer: OptimizerKind,
}

pub fn run(args: &BenchArgs, data_dir: Option<&Path>) -> anyhow::Result<()> {
    if args.samples < 10_000 {
        let msg = format!("at least 10000, got {}", args.samples);
        return Err(crate::usage::UsageError::new("--samples", msg).into());
    }
    let base = presets::find("ioffe2015")
        .context("the ioffe2015 preset is missing")?
        .config(DatasetName::Mnist);
    let data =
        Arc::new(base.prepare_data(data_dir).context(
            "`bnlab bench` needs full MNIST: pass --data-dir DIR with the four IDX files",
        )?);
    let started = Instant::now();
    let peak = peak::measure(0.5);
    emit(json!({
        "kind": "peak",
        "isa": peak.isa,
        "threads": 1,
        "gflops": round(peak.gflops, 1),
        "load_avg": mem::load_avg(),
    }));

    let mut eval_ms = Vec::new();
    for v in [Variant::Plain, Variant::Bn] {
        let (ms, cpu_ms) = inference_ms(v, &base, &data);
        eval_ms.push((v, ms));
        // The first layer skips zero pixels: GFLOP/s counts the work done, `dense_gflops`
        // the work of the dense product it stands for.
        let gflops = eval_macs(&data.test) as f64 * 2.0 / (ms * 1e6);
        let dense = (data.test.len() as u64 * forward_macs()) as f64;
        emit(json!({
            "kind": "eval",
            "variant": v.as_str(),
            "batch": data.test.len(),
            "optimizer": Value::Null,
            "threads": 1,
            "samples_per_sec": round(data.test.len() as f64 / (ms / 1e3), 0),
            "eval_ms": round(ms, 2),
            // Process CPU time per pass (10 ms ticks over 7 passes): steadier when shared.
            "eval_cpu_ms": cpu_ms.map(|c| round(c, 1)),
            "peak_rss_mb": mem::peak_rss_mb().map(|m| round(m, 1)),
            "gflops": round(gflops, 2),
            "fraction_of_peak": round(gflops / peak.gflops, 3),
            "dense_gflops": round(dense * 2.0 / (ms * 1e6), 2),
        }));
    }

    for case in cases(args.quick) {
        let threads = case.variants.len();
        let cfg = case_config(&base, &case, args.samples);
        mem::reset_peak();
        let trained = cfg.steps.unwrap_or(0) * cfg.batch_size as u64 * threads as u64;
        let cpu0 = mem::cpu_seconds();
        let rates = train_rates(cfg, data.clone())?;
        let cpu = mem::cpu_seconds().zip(cpu0).map(|(a, b)| a - b);
        let total: f64 = rates.iter().map(|(_, r)| r).sum();
        let gflops = total * train_flops_per_sample() as f64 / 1e9;
        let name = case
            .variants
            .iter()
            .map(|v| v.as_str())
            .collect::<Vec<_>>()
            .join("+");
        let ems: Vec<f64> = eval_ms
            .iter()
            .filter(|(v, _)| case.variants.contains(v))
            .map(|(_, ms)| *ms)
            .collect();
        let mut line = json!({
            "kind": "train",
            "variant": name,
            "batch": case.batch,
            "optimizer": case.optimizer.to_string(),
            "threads": threads,
            "samples_per_sec": round(total, 0),
            "eval_ms": round(ems.iter().sum::<f64>() / ems.len().max(1) as f64, 2),
            "peak_rss_mb": mem::peak_rss_mb().map(|m| round(m, 1)),
            "gflops": round(gflops, 2),
            "fraction_of_peak": round(gflops / (peak.gflops * threads as f64), 3),
            "load_avg": mem::load_avg(),
            // Steadier than wall time on a shared machine; the whole case, so it also
            // counts the start and end validation passes and the test pass.
            "samples_per_cpu_sec": cpu.filter(|&c| c > 0.0).map(|c| round(trained as f64 / c, 0)),
        });
        if rates.len() > 1 {
            for (v, r) in &rates {
                line[format!("{}_samples_per_sec", v.as_str())] = json!(round(*r, 0));
            }
        }
        emit(line);
    }
    eprintln!("bench finished in {:.1} s", started.elapsed().as_secs_f64());
    Ok(())
}

fn cases(quick: bool) -> Vec<Case> {
    let (batches, opts): (&[usize], &[OptimizerKind]) = if quick {
        (&[60], &[OptimizerKind::Sgd])
    } else {
        (&[60, 256], &[OptimizerKind::Sgd, OptimizerKind::Adam])
    };
    let mut out = Vec::new();
    for &optimizer in opts {
        for &batch in batches {
            for variants in [
                vec![Variant::Plain],
                vec![Variant::Bn],
                vec![Variant::Plain, Variant::Bn],
            ] {
                out.push(Case {
                    variants,
                    batch,
                    optimizer,
                });
            }
        }
    }
    out
}

fn case_config(base: &RunConfig, case: &Case, samples: u64) -> RunConfig {
    let steps = (samples / case.batch as u64).max(100);
    let mut c = base.clone();
    c.variants = case.variants.clone();
    c.batch_size = case.batch;
    c.optimizer = case.optimizer;
    if case.optimizer == OptimizerKind::Adam {
        c.lr = 0.001;
    }
    c.steps = Some(steps);
    // Validation only at the start and the end, outside the timed window.
    c.eval_every = steps;
    c.parallel = case.variants.len();
    c
}

/// Samples per second of each trainer, from its first to its last progress report.
fn train_rates(cfg: RunConfig, data: Arc<Prepared>) -> anyhow::Result<Vec<(Variant, f64)>> {
    let batch = cfg.batch_size as f64;
    let session = Session::start(cfg, data);
    let mut first = std::collections::HashMap::new();
    let mut last = std::collections::HashMap::new();
    let mut finished = 0;
    let n = session.jobs.len();
    while finished < n {
        match session.events.recv_timeout(Duration::from_secs(120)) {
            Ok(Event::Progress {
                id,
                step,
                elapsed_s,
                ..
            }) => {
                first.entry(id.variant).or_insert((step, elapsed_s));
                last.insert(id.variant, (step, elapsed_s));
            }
            Ok(Event::Finished {
                id,
                status,
                message,
                ..
            }) => {
                anyhow::ensure!(
                    status == crate::train::Status::Finished,
                    "{} trainer ended {status}: {}",
                    id.variant,
                    message.unwrap_or_default()
                );
                finished += 1;
            }
            Ok(_) => {}
            Err(e) => anyhow::bail!("trainers stopped reporting: {e}"),
        }
    }
    session.stop_and_join();
    let mut out: Vec<(Variant, f64)> = first
        .iter()
        .filter_map(|(v, &(s0, t0))| {
            let (s1, t1) = last[v];
            (s1 > s0 && t1 > t0).then(|| (*v, (s1 - s0) as f64 * batch / (t1 - t0)))
        })
        .collect();
    out.sort_by_key(|(v, _)| *v);
    anyhow::ensure!(!out.is_empty(), "too few steps to time");
    Ok(out)
}

/// Median wall time of several passes over the test set, on one thread, as the trainers
/// evaluate, and the mean CPU time per pass.
fn inference_ms(variant: Variant, base: &RunConfig, data: &Prepared) -> (f64, Option<f64>) {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .expect("a one-thread pool");
    pool.install(|| {
        dfdx::flush_denormals_to_zero();
        let dev = Dev::default();
        let spec = NetSpec {
            variant,
            depth: base.depth,
            activation: base.activation,
            init: base.init,
            seed: base.seed,
            settings: Default::default(),
        };
        let mut times = Vec::new();
        let cpu0 = mem::cpu_seconds();
        time_eval(&model::build(&dev, &spec), &dev, data, &mut times);
        // The warm-up pass counts in the CPU time too: 8 passes.
        let cpu = mem::cpu_seconds()
            .zip(cpu0)
            .map(|(a, b)| (a - b) * 1e3 / (times.len() + 1) as f64);
        times.sort_by(f64::total_cmp);
        (times[times.len() / 2], cpu)
    })
}

fn time_eval<N: Network>(net: &N, dev: &Dev, data: &Prepared, times: &mut Vec<f64>) {
    // One warm-up pass fills the allocator caches, as a trainer's first evaluation does.
    eval::evaluate(net, dev, &data.test, &data.norm);
    for _ in 0..7 {
        let t = Instant::now();
        std::hint::black_box(eval::evaluate(net, dev, &data.test, &data.norm));
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
}

fn round(x: f64, digits: i32) -> f64 {
    let p = 10f64.powi(digits);
    (x * p).round() / p
}

fn emit(v: Value) {
    println!("{v}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flop_count_matches_the_net() {
        // 784*100 + 2*100*100 + 100*10 multiply-adds forward.
        assert_eq!(forward_macs(), 99_400);
        // Forward + weight grads + input grads of the three upper layers, 2 flops each.
        assert_eq!(train_flops_per_sample(), 2 * (2 * 99_400 + 21_000));
    }
}
