//! Same seed, same numbers: across processes running at the same time, across `--parallel`
//! settings, and the paper's result itself on fixed seeds (deterministic, so never flaky).

use crate::support::prereq;
use bnlab::metric::Metric;

use std::path::{Path, PathBuf};
use std::process::Command;

use bnlab::data::DatasetName;
use bnlab::model::Variant;
use bnlab::train::Status;

/// The one run folder under `parent`.
fn only_run(parent: &Path) -> PathBuf {
    let dirs: Vec<PathBuf> = std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("metrics.csv").is_file())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

fn metrics(parent: &Path) -> Vec<u8> {
    let m = std::fs::read(only_run(parent).join("metrics.csv")).unwrap();
    assert!(m.len() > 1000, "{}", String::from_utf8_lossy(&m));
    m
}

fn bnlab(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bnlab"));
    c.env_remove("BNLAB_DATA_DIR")
        .env("XDG_CACHE_HOME", dir.join("cache"));
    c
}

const RUN: [&str; 8] = [
    "run",
    "--preset",
    "ioffe2015",
    "--dataset",
    "mnist-5k",
    "--steps",
    "300",
    "--quiet",
];

#[test]
fn two_processes_at_once_write_identical_metrics() {
    if !prereq::gnu_parallel() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = Command::new("parallel")
        .args(["--will-cite", "--halt", "now,fail=1", "-j", "2"])
        .arg(env!("CARGO_BIN_EXE_bnlab"))
        .args(RUN)
        .args(["--out", "{}", ":::"])
        .arg(tmp.path().join("a"))
        .arg(tmp.path().join("b"))
        .env_remove("BNLAB_DATA_DIR")
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let a = metrics(&tmp.path().join("a"));
    assert!(a == metrics(&tmp.path().join("b")), "metrics.csv differs");
}

#[test]
fn one_or_two_trainer_threads_write_identical_metrics() {
    let tmp = tempfile::tempdir().unwrap();
    let mut runs = Vec::new();
    for p in ["1", "2"] {
        let dir = tmp.path().join(format!("p{p}"));
        let out = bnlab(tmp.path())
            .args(RUN)
            .args(["--seeds", "2", "--parallel", p, "--out"])
            .arg(&dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        runs.push(metrics(&dir));
    }
    assert!(
        runs[0] == runs[1],
        "--parallel 1 and 2 give different metrics.csv"
    );
}

/// Ioffe & Szegedy's setup (sigmoid MLP, 3×100, SGD) on mnist-5k: after 300 steps BN is ahead
/// of the plain net on every one of three fixed seeds, in validation accuracy and loss.
#[test]
fn bn_is_ahead_of_plain_on_fixed_seeds_in_the_papers_setup() {
    let mut c = bnlab::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    c.steps = Some(300);
    c.seeds = 3;
    let data = c.prepare_data(None).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let (rec, _) = bnlab::headless::run(c, data, tmp.path(), true).unwrap();
    let job = |v: Variant, seed: u64| {
        rec.jobs
            .iter()
            .find(|j| j.id.variant == v && j.id.seed == seed)
            .unwrap()
    };
    let seeds: Vec<u64> = rec.jobs.iter().map(|j| j.id.seed).collect();
    assert_eq!(seeds.len(), 6, "{seeds:?}");
    for seed in seeds {
        let (p, b) = (job(Variant::Plain, seed), job(Variant::Bn, seed));
        assert_eq!((p.status, b.status), (Status::Finished, Status::Finished));
        let (pa, ba) = (
            p.last(Metric::ValAcc).unwrap(),
            b.last(Metric::ValAcc).unwrap(),
        );
        let (pl, bl) = (
            p.last(Metric::ValLoss).unwrap(),
            b.last(Metric::ValLoss).unwrap(),
        );
        assert!(
            ba > pa + 0.02,
            "seed {seed}: BN {ba} vs plain {pa} validation accuracy"
        );
        assert!(
            bl < pl,
            "seed {seed}: BN {bl} vs plain {pl} validation loss"
        );
    }
}
