//! Every bad input listed in docs/reliability.md: a clear message naming the file, line or
//! flag, and the documented exit code; never a panic.

use bnlab::metric::Metric;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use bnlab::analysis;
use bnlab::runs::{self, DataInfo, MetricRow, RunError, RunRecord};
use bnlab::train::RunConfig;

fn bnlab(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bnlab"));
    c.env("XDG_CACHE_HOME", home)
        .env("HOME", home)
        .env_remove("BNLAB_DATA_DIR")
        .current_dir(home);
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs bnlab and returns (exit code, all output); a panic would show as exit 101.
fn run(home: &Path, args: &[&str]) -> (i32, String) {
    let o = bnlab(home).args(args).output().unwrap();
    let t = text(&o);
    assert!(!t.contains("panicked"), "{t}");
    (o.status.code().unwrap_or(-1), t)
}

use crate::rel_support::idx_folder;

fn run_on(home: &Path, dir: &Path) -> (i32, String) {
    run(
        home,
        &[
            "--data-dir",
            dir.to_str().unwrap(),
            "run",
            "--dataset",
            "mnist",
            "--steps",
            "1",
            "--val-size",
            "10",
            "--batch-size",
            "5",
            "-q",
        ],
    )
}

#[test]
fn sound_fixture_folder_trains() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "ok");
    let (code, t) = run_on(home.path(), &d);
    assert_eq!(code, 0, "{t}");
}

#[test]
fn missing_data_folder() {
    let home = tempfile::tempdir().unwrap();
    let (code, t) = run(
        home.path(),
        &["--data-dir", "/nonexistent/x", "run", "--dataset", "mnist"],
    );
    assert_eq!(code, 1, "{t}");
    assert!(t.contains("/nonexistent/x"), "{t}");
    let (code, t) = run(home.path(), &["run", "--dataset", "mnist"]);
    assert_eq!(code, 1, "{t}");
    assert!(t.contains("bnlab data fetch mnist"), "{t}");
}

#[test]
fn truncated_idx_file() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "d");
    let f = d.join("train-images-idx3-ubyte");
    let b = std::fs::read(&f).unwrap();
    std::fs::write(&f, &b[..b.len() - 100]).unwrap();
    let (code, t) = run_on(home.path(), &d);
    assert_eq!(code, 1, "{t}");
    assert!(t.contains("train-images-idx3-ubyte: truncated"), "{t}");
}

#[test]
fn wrong_magic_number() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "d");
    let f = d.join("t10k-labels-idx1-ubyte");
    let mut b = std::fs::read(&f).unwrap();
    b[2] = 0x0d;
    std::fs::write(&f, b).unwrap();
    let (code, t) = run_on(home.path(), &d);
    assert_eq!(code, 1, "{t}");
    assert!(t.contains("t10k-labels-idx1-ubyte: not an IDX file"), "{t}");
}

#[test]
fn image_label_count_mismatch() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "d");
    std::fs::write(
        d.join("train-labels-idx1-ubyte"),
        bnlab::data::idx::encode(&[19], &[1; 19]),
    )
    .unwrap();
    let (code, t) = run_on(home.path(), &d);
    assert_eq!(code, 1, "{t}");
    assert!(
        t.contains("holds 20 images but") && t.contains("holds 19 labels"),
        "{t}"
    );
}

#[test]
fn label_out_of_range() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "d");
    let f = d.join("train-labels-idx1-ubyte");
    let mut b = std::fs::read(&f).unwrap();
    b[8 + 4] = 12;
    std::fs::write(&f, b).unwrap();
    let (code, t) = run_on(home.path(), &d);
    assert_eq!(code, 1, "{t}");
    assert!(t.contains("label 12 at item 4"), "{t}");
}

#[test]
fn not_gzip_named_gz() {
    let home = tempfile::tempdir().unwrap();
    let d = idx_folder(home.path(), "d");
    std::fs::rename(
        d.join("train-labels-idx1-ubyte"),
        d.join("train-labels-idx1-ubyte.gz"),
    )
    .unwrap();
    let (code, t) = run_on(home.path(), &d);
    assert_eq!(code, 1, "{t}");
    assert!(
        t.contains("train-labels-idx1-ubyte.gz: named .gz but is not valid gzip"),
        "{t}"
    );
    // The reason is said once, not repeated by the error chain.
    assert_eq!(t.matches("invalid gzip header").count(), 1, "{t}");
    let (code, t) = run(
        home.path(),
        &["--data-dir", d.to_str().unwrap(), "data", "verify", "mnist"],
    );
    assert_eq!(code, 1, "{t}");
    assert!(t.contains("cannot be read"), "{t}");
}

#[test]
fn cli_values_out_of_range_exit_2() {
    let home = tempfile::tempdir().unwrap();
    for (args, flag) in [
        (&["run", "--batch-size", "0"][..], "--batch-size"),
        (&["run", "--lr", "-1"][..], "--lr"),
        (&["run", "--lr", "nan"][..], "--lr"),
        (&["run", "--preset", "nope"][..], "--preset"),
        (&["run", "--seeds", "0"][..], "--seeds"),
        (&["run", "--depth", "0"][..], "--depth"),
        (&["run", "--depth", "61"][..], "--depth"),
        (&["run", "--momentum", "1.5"][..], "--momentum"),
        (
            &["run", "--seed", "18446744073709551615", "--seeds", "2"][..],
            "--seed",
        ),
        (
            &["data", "fetch", "mnist", "--mirror", "ftp://x/"][..],
            "--mirror",
        ),
        (&["data", "fetch", "nope"][..], "nope"),
        (&["run", "--val-size", "999999"][..], "--val-size"),
    ] {
        let (code, t) = run(home.path(), args);
        assert_eq!(code, 2, "{args:?}: {t}");
        assert!(t.contains(flag), "{args:?}: {t}");
    }
}

fn saved_run(dir: &Path) {
    let mut rec = RunRecord::new(RunConfig::default(), DataInfo::default());
    for j in &mut rec.jobs {
        j.rows = (0..3)
            .map(|i| MetricRow {
                step: i * 10,
                epoch: i as f64 / 10.0,
                metric: Metric::ValAcc,
                value: 0.5,
            })
            .collect();
    }
    analysis::save(&rec, dir).unwrap();
    runs::load(dir).unwrap();
}

fn load_err(edit: impl FnOnce(&Path)) -> RunError {
    let d = tempfile::tempdir().unwrap();
    saved_run(d.path());
    edit(d.path());
    runs::load(d.path()).unwrap_err()
}

fn rewrite(p: PathBuf, f: impl FnOnce(String) -> String) {
    let s = std::fs::read_to_string(&p).unwrap();
    std::fs::write(&p, f(s)).unwrap();
}

#[test]
fn metrics_csv_malformed_value_names_the_line() {
    let e = load_err(|d| rewrite(d.join("metrics.csv"), |s| s.replacen("0.5", "abc", 1)));
    let m = e.to_string();
    assert!(m.contains("metrics.csv:2: value is not a number"), "{m}");
}

#[test]
fn metrics_csv_truncated_names_the_line() {
    let e = load_err(|d| rewrite(d.join("metrics.csv"), |s| s[..s.len() - 12].to_string()));
    let m = e.to_string();
    assert!(m.contains("metrics.csv:7:"), "{m}");
}

#[test]
fn metrics_csv_unknown_column_names_it() {
    let e = load_err(|d| {
        rewrite(d.join("metrics.csv"), |s| {
            s.lines()
                .enumerate()
                .map(|(i, l)| {
                    if i == 0 {
                        format!("{l},colour\n")
                    } else {
                        format!("{l},red\n")
                    }
                })
                .collect()
        })
    });
    let m = e.to_string();
    assert!(m.contains("metrics.csv:1: unknown column `colour`"), "{m}");
}

#[test]
fn metrics_csv_missing_is_named() {
    let e = load_err(|d| std::fs::remove_file(d.join("metrics.csv")).unwrap());
    assert!(e.to_string().contains("metrics.csv"), "{e}");
}

#[test]
fn config_json_not_json_is_named() {
    let e = load_err(|d| std::fs::write(d.join("config.json"), "{ not json").unwrap());
    let m = e.to_string();
    assert!(
        matches!(e, RunError::Config { .. }) && m.contains("config.json"),
        "{m}"
    );
}

#[test]
fn config_json_out_of_range_values_are_rejected() {
    // 10^12 seeds would make loading loop for ever; a seed range past u64::MAX would wrap.
    for (key, value) in [
        ("seeds", serde_json::json!(1_000_000_000_000u64)),
        ("seed", serde_json::json!(u64::MAX)),
        ("batch_size", serde_json::json!(0)),
    ] {
        let e = load_err(|d| {
            rewrite(d.join("config.json"), |s| {
                let mut v: serde_json::Value = serde_json::from_str(&s).unwrap();
                v["config"]["seeds"] = serde_json::json!(2);
                v["config"][key] = value;
                v.to_string()
            })
        });
        let m = e.to_string();
        assert!(
            matches!(e, RunError::Config { .. }) && m.contains("config.json"),
            "{m}"
        );
        // A file is corrected in its own terms: the message names the config.json key.
        assert!(m.contains(&format!("{key}: ")), "{m}");
    }
}

#[test]
fn folder_without_config_is_not_a_run() {
    let e = load_err(|d| std::fs::remove_file(d.join("config.json")).unwrap());
    assert!(matches!(e, RunError::NotARun(_)), "{e}");
}

#[test]
fn summary_csv_malformed_names_the_line() {
    let e = load_err(|d| {
        // `steps` of the first row is not a number.
        rewrite(d.join("summary.csv"), |s| {
            s.lines()
                .enumerate()
                .map(|(i, l)| {
                    let mut f: Vec<&str> = l.split(',').collect();
                    if i == 1 {
                        f[5] = "x";
                    }
                    f.join(",") + "\n"
                })
                .collect()
        })
    });
    let m = e.to_string();
    assert!(m.contains("summary.csv:2"), "{m}");
}
