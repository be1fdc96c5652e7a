//! A grid run as tasks by a real scheduler (GNU parallel) and pooled with `bnlab report`
//! gives the numbers of the same grid trained in one process; `--plan`, Slurm's array
//! variables, `--json` and the refusals, through the real binary.

use crate::support::prereq;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// 2 learning rates x 3 seeds on the embedded digits, short enough to take seconds.
const GRID: [&str; 13] = [
    "run",
    "--preset",
    "ioffe2015",
    "--dataset",
    "mnist-5k",
    "--steps",
    "40",
    "--eval-every",
    "20",
    "--sweep",
    "lr=0.1,0.5",
    "--seeds",
    "3",
];

fn bnlab(tmp: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bnlab"));
    c.env_remove("BNLAB_DATA_DIR")
        .env_remove("SLURM_ARRAY_TASK_ID")
        .env_remove("SLURM_ARRAY_TASK_COUNT")
        .env_remove("SLURM_ARRAY_TASK_MIN")
        .env("XDG_CACHE_HOME", tmp.join("cache"))
        .env("XDG_STATE_HOME", tmp.join("state"));
    c
}

fn ok(out: Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn run_dirs(parent: &Path) -> Vec<PathBuf> {
    let mut d: Vec<PathBuf> = std::fs::read_dir(parent)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("metrics.csv").is_file())
        .collect();
    d.sort();
    d
}

/// `summary.csv` as rows of (column, value), without the wall-clock columns, which no two
/// runs share.
fn summary(dir: &Path) -> Vec<Vec<(String, String)>> {
    let mut r = csv::Reader::from_path(dir.join("summary.csv")).unwrap();
    let h: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    r.records()
        .map(|rec| {
            h.iter()
                .cloned()
                .zip(rec.unwrap().iter().map(String::from))
                .filter(|(k, _)| k != "elapsed_s" && k != "samples_per_sec")
                .collect()
        })
        .collect()
}

fn config(dir: &Path) -> serde_json::Value {
    let mut v: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("config.json")).unwrap()).unwrap();
    v.as_object_mut().unwrap().remove("created");
    v
}

#[test]
fn six_tasks_under_gnu_parallel_pool_into_the_single_process_run() {
    if !prereq::gnu_parallel() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let one = tmp.path().join("one");
    let table = ok(bnlab(tmp.path())
        .args(GRID)
        .args(["--quiet", "--out"])
        .arg(&one)
        .output()
        .unwrap());
    seed_groups_are_in_the_table(&table, &run_dirs(&one)[0]);
    let tasks = tmp.path().join("tasks");
    let out = Command::new("parallel")
        .args(["--will-cite", "--halt", "now,fail=1", "-j", "2"])
        .arg(env!("CARGO_BIN_EXE_bnlab"))
        .args(GRID)
        .args(["--quiet", "--task", "{}", "--tasks", "6", "--out"])
        .arg(&tasks)
        .args([":::", "0", "1", "2", "3", "4", "5"])
        .env_remove("BNLAB_DATA_DIR")
        .env("XDG_CACHE_HOME", tmp.path().join("cache"))
        .output()
        .unwrap();
    ok(out);
    let parts = run_dirs(&tasks);
    assert_eq!(parts.len(), 6, "{parts:?}");
    // Each task trained one (point, seed) pair, both variants of it.
    let mut pairs = Vec::new();
    for p in &parts {
        let rows = summary(p);
        let trainers: Vec<_> = rows
            .iter()
            .filter(|r| r[1].1.parse::<u64>().is_ok())
            .map(|r| (r[0].1.clone(), r[1].1.clone(), r[2].1.clone()))
            .collect();
        assert_eq!(trainers.len(), 2, "{}: {trainers:?}", p.display());
        assert_eq!(
            (trainers[0].1.clone(), trainers[0].2.clone()),
            (trainers[1].1.clone(), trainers[1].2.clone())
        );
        assert_ne!(trainers[0].0, trainers[1].0);
        pairs.push((trainers[0].1.clone(), trainers[0].2.clone()));
    }
    pairs.sort();
    pairs.dedup();
    assert_eq!(pairs.len(), 6, "{pairs:?}");
    let pooled = tmp.path().join("pooled");
    let report = ok(bnlab(tmp.path())
        .arg("report")
        .args(&parts)
        .arg("--out")
        .arg(&pooled)
        .output()
        .unwrap());
    assert_eq!(
        report.trim(),
        pooled.join("report.md").display().to_string()
    );
    let single = &run_dirs(&one)[0];
    // Same seeds and settings: the same measurements, byte for byte, trainer by trainer.
    let (a, b) = (
        std::fs::read(single.join("metrics.csv")).unwrap(),
        std::fs::read(pooled.join("metrics.csv")).unwrap(),
    );
    assert!(a.len() > 1000 && a == b, "metrics.csv of the pool differs");
    let (a, b) = (summary(single), summary(&pooled));
    assert_eq!(a.len(), b.len());
    let trainers = a.iter().filter(|r| r[1].1.parse::<u64>().is_ok()).count();
    assert_eq!(trainers, 12);
    // Every per-trainer row, then every aggregate (mean, std, paired difference and its
    // interval over all three seeds) equals the one-process run's.
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y);
    }
    assert!(
        a.iter()
            .any(|r| r[1].1 == "diff_ci95_low" && r.last().unwrap().1.contains("seeds 1 2 3")),
        "{a:?}"
    );
    assert_eq!(config(single), config(&pooled));
    let md = std::fs::read_to_string(pooled.join("report.md")).unwrap();
    assert!(md.contains("Pooled from 6 task folders"), "{md}");
    // The pooled folder is a run folder like any other: it reports again on its own.
    ok(bnlab(tmp.path())
        .arg("report")
        .arg(&pooled)
        .output()
        .unwrap());
}

/// The run's table gives each variant's mean ± std over its seeds and the paired difference
/// with its interval, in the words and numbers of `analysis` (issue 15, item 10).
fn seed_groups_are_in_the_table(table: &str, dir: &Path) {
    use bnlab::analysis::compare::{paired, Groups, BEST_VAL_ACC, TEST_ACC};
    use bnlab::analysis::fmt::{cell, effect};
    use bnlab::model::Variant;
    let g = Groups::of_record(&bnlab::runs::load(dir).unwrap());
    for point in [0, 1] {
        let (plain, bn) = (g.of(point, Variant::Plain), g.of(point, Variant::Bn));
        assert_eq!((plain.len(), bn.len()), (3, 3));
        let mean = cell(&BEST_VAL_ACC, &bn);
        assert!(mean.contains(" ± "), "{mean}");
        let lr = ["0.1", "0.5"][point];
        let row = table
            .lines()
            .find(|l| l.split_whitespace().take(3).eq([lr, "bn", "3"]))
            .unwrap_or_else(|| panic!("no bn row at lr {lr}:\n{table}"));
        assert!(row.contains(&mean), "{row} lacks {mean}");
        let d = effect(&TEST_ACC, &paired(&TEST_ACC, &plain, &bn).unwrap());
        assert!(d.contains("95% CI"), "{d}");
        let head = format!("learning rate {lr}, bn − plain: ");
        let at = table
            .find(&head)
            .unwrap_or_else(|| panic!("{head}:\n{table}"));
        assert!(
            table[at..]
                .lines()
                .take(4)
                .any(|l| l.ends_with(&format!("test acc {d}"))),
            "{table}"
        );
    }
}

fn plan(tmp: &Path, env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut c = bnlab(tmp);
    c.args(GRID).arg("--plan").args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn the_plan_lists_tasks_and_slurm_picks_one_unless_the_flags_do() {
    let tmp = tempfile::tempdir().unwrap();
    let all = ok(plan(tmp.path(), &[], &[]));
    let lines: Vec<&str> = all.lines().collect();
    assert_eq!(lines.len(), 6, "{all}");
    assert_eq!(lines[0], "0/6  lr=0.1 seed=1");
    assert_eq!(lines[5], "5/6  lr=0.5 seed=3");
    let two = ok(plan(tmp.path(), &[], &["--tasks", "2"]));
    assert_eq!(
        two.lines().nth(1),
        Some("1/2  lr=0.5 seed=1, lr=0.5 seed=2, lr=0.5 seed=3")
    );
    let slurm = [
        ("SLURM_ARRAY_TASK_ID", "3"),
        ("SLURM_ARRAY_TASK_COUNT", "6"),
    ];
    assert_eq!(ok(plan(tmp.path(), &slurm, &[])), "3/6  lr=0.5 seed=1\n");
    // An array numbered from 1 (`--array=1-6`).
    let from1 = [
        ("SLURM_ARRAY_TASK_ID", "4"),
        ("SLURM_ARRAY_TASK_COUNT", "6"),
        ("SLURM_ARRAY_TASK_MIN", "1"),
    ];
    assert_eq!(ok(plan(tmp.path(), &from1, &[])), "3/6  lr=0.5 seed=1\n");
    let flags = ok(plan(tmp.path(), &slurm, &["--task", "1", "--tasks", "3"]));
    assert_eq!(flags, "1/3  lr=0.1 seed=3, lr=0.5 seed=1\n");
    for (env, args, names) in [
        (
            &[
                ("SLURM_ARRAY_TASK_ID", "x"),
                ("SLURM_ARRAY_TASK_COUNT", "6"),
            ][..],
            &[][..],
            "SLURM_ARRAY_TASK_ID",
        ),
        (&[][..], &["--tasks", "7"][..], "--tasks"),
        (&[][..], &["--task", "6", "--tasks", "6"][..], "--task"),
        (&[][..], &["--task", "1"][..], "--task"),
        (&[][..], &["--sweep", "lr=0.2"][..], "--sweep"),
        (&[][..], &["--lr", "0.2"][..], "--sweep"),
    ] {
        let out = plan(tmp.path(), env, args);
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(names), "{args:?}: {err}");
    }
}

#[test]
fn json_is_the_last_line_and_a_slurm_task_trains_its_slice() {
    let tmp = tempfile::tempdir().unwrap();
    let out = ok(bnlab(tmp.path())
        .args(GRID)
        .args(["--quiet", "--json", "--out"])
        .arg(tmp.path().join("runs"))
        .env("SLURM_ARRAY_TASK_ID", "4")
        .env("SLURM_ARRAY_TASK_COUNT", "6")
        .output()
        .unwrap());
    let last = out.lines().last().unwrap();
    let v: serde_json::Value = serde_json::from_str(last).unwrap();
    assert_eq!(v["status"], "finished");
    assert_eq!(v["saved"], true);
    let run = &v["runs"][0];
    assert_eq!(
        (run["task"].as_u64(), run["tasks"].as_u64()),
        (Some(4), Some(6))
    );
    let dir = PathBuf::from(run["dir"].as_str().unwrap());
    assert_eq!(run_dirs(&tmp.path().join("runs")), vec![dir.clone()]);
    let trainers = run["trainers"].as_array().unwrap();
    assert_eq!(trainers.len(), 2);
    // The JSON's numbers are summary.csv's.
    let rows = summary(&dir);
    for t in trainers {
        assert_eq!(t["seed"], 2);
        assert_eq!(t["point_value"], 0.5);
        let row = rows
            .iter()
            .find(|r| r[0].1 == t["variant"].as_str().unwrap() && r[1].1 == "2")
            .unwrap();
        let best: f64 = row
            .iter()
            .find(|c| c.0 == "best_val_acc")
            .unwrap()
            .1
            .parse()
            .unwrap();
        assert_eq!(t["best_val_acc"].as_f64(), Some(best));
    }
    let d = &run["differences"][0];
    assert_eq!(
        (d["variant"].as_str(), d["baseline"].as_str()),
        (Some("bn"), Some("plain"))
    );
    assert_eq!(d["best_val_acc"]["n"], 1);
}

#[test]
fn folders_that_differ_in_more_than_the_slice_are_not_pooled() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("runs");
    for (task, extra) in [("0", "0"), ("1", "0.5")] {
        ok(bnlab(tmp.path())
            .args(GRID)
            .args(["--quiet", "--momentum", extra])
            .args(["--task", task, "--tasks", "2", "--out"])
            .arg(&out)
            .output()
            .unwrap());
    }
    let parts = run_dirs(&out);
    let r = bnlab(tmp.path())
        .arg("report")
        .args(&parts)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("momentum: 0.0 vs 0.5"), "{err}");
    assert!(!err.contains("steps:") && !err.contains("slice:"), "{err}");
    assert!(!parts[0].join("report.md").exists());
}

#[test]
fn run_help_documents_the_grid_flags_and_exit_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let help = ok(bnlab(tmp.path()).args(["run", "--help"]).output().unwrap());
    for f in [
        "--sweep",
        "--task",
        "--tasks",
        "--plan",
        "--json",
        "SLURM_ARRAY_TASK_ID",
        "Exit codes",
        "143",
    ] {
        assert!(
            help.contains(f),
            "{f} missing from bnlab run --help:\n{help}"
        );
    }
}
