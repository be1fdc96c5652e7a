//! Helpers for the reliability tests: running the real binary in a private home, measuring
//! its peak memory, and building data and run folders to damage.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// bnlab with a private home, cache and state folder, so nothing the user has is touched.
pub fn bnlab(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bnlab"));
    c.env("XDG_CACHE_HOME", home.join("cache"))
        .env("XDG_STATE_HOME", home.join("state"))
        .env("HOME", home)
        .env("TMPDIR", home.join("tmp"))
        .env_remove("BNLAB_DATA_DIR")
        .current_dir(home);
    c
}

pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Runs bnlab; returns (exit code, all output). A panic or an abort fails the test.
pub fn run(home: &Path, args: &[&str]) -> (i32, String) {
    let o = bnlab(home).args(args).output().unwrap();
    let t = text(&o);
    assert!(!t.contains("panicked"), "{t}");
    assert!(!t.contains("memory allocation"), "{t}");
    (o.status.code().unwrap_or(-1), t)
}

/// Runs bnlab under `/usr/bin/time` and returns (exit code, output, peak resident kB);
/// `None` where GNU time is not installed.
pub fn run_measured(home: &Path, args: &[&str]) -> Option<(i32, String, u64)> {
    let time = Path::new("/usr/bin/time");
    if !time.exists() {
        eprintln!("skipped: no /usr/bin/time to measure peak memory");
        return None;
    }
    let report = home.join("time.txt");
    let o = Command::new(time)
        .arg("-f")
        .arg("%M")
        .arg("-o")
        .arg(&report)
        .arg(env!("CARGO_BIN_EXE_bnlab"))
        .args(args)
        .envs(bnlab(home).get_envs().filter_map(|(k, v)| Some((k, v?))))
        .env_remove("BNLAB_DATA_DIR")
        .current_dir(home)
        .output()
        .unwrap();
    let t = text(&o);
    assert!(
        !t.contains("panicked") && !t.contains("memory allocation"),
        "{t}"
    );
    let kb = std::fs::read_to_string(&report)
        .unwrap()
        .lines()
        .filter_map(|l| l.trim().parse::<u64>().ok())
        .next_back()
        .expect("peak RSS in time's report");
    Some((o.status.code().unwrap_or(-1), t, kb))
}

pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// A small but valid MNIST-style folder (raw IDX files, 20 train / 10 test images).
pub fn idx_folder(root: &Path, name: &str) -> PathBuf {
    use bnlab::data::idx::encode;
    let d = root.join(name);
    std::fs::create_dir_all(&d).unwrap();
    let labels = |n: usize| (0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>();
    let files = [
        (
            "train-images-idx3-ubyte",
            encode(&[20, 28, 28], &vec![9u8; 20 * 784]),
        ),
        ("train-labels-idx1-ubyte", encode(&[20], &labels(20))),
        (
            "t10k-images-idx3-ubyte",
            encode(&[10, 28, 28], &vec![3u8; 10 * 784]),
        ),
        ("t10k-labels-idx1-ubyte", encode(&[10], &labels(10))),
    ];
    for (f, b) in files {
        std::fs::write(d.join(f), b).unwrap();
    }
    d
}

/// The arguments of a one-step run on a data folder made by [`idx_folder`].
pub fn run_args(dir: &Path) -> Vec<String> {
    [
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
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

pub fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// A run folder saved by bnlab itself (a 20-step run on the embedded digits), under `home`.
pub fn saved_run(home: &Path) -> PathBuf {
    let out = home.join("runs");
    let (code, t) = run(
        home,
        &[
            "run",
            "--dataset",
            "mnist-5k",
            "--steps",
            "20",
            "-q",
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert_eq!(code, 0, "{t}");
    let dirs: Vec<PathBuf> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    dirs[0].clone()
}

/// Names in `dir`, sorted, hidden ones included.
pub fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
