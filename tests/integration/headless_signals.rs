//! Signals sent to a real `bnlab run` process. SIGINT, SIGTERM and SIGHUP stop the run,
//! which is saved as interrupted with what was measured; the process prints its table and
//! the folder and exits 128 + the signal (130, 143, 129), so a script can tell it from a finished run. A SIGHUP that
//! was ignored at start (`nohup`) is left ignored and the run goes on.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `bnlab run` that trains far longer than any test waits, with the named signals' handling
/// reset to the default or set to ignored first (so the harness's own dispositions, say under
/// nohup, do not leak in).
fn spawn(dir: &Path, env_flag: &str) -> Child {
    Command::new("env")
        .arg(env_flag)
        .arg(env!("CARGO_BIN_EXE_bnlab"))
        .args(["run", "--steps", "100000000", "--out"])
        .arg(dir.join("out"))
        .env_remove("BNLAB_DATA_DIR")
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("starting bnlab run")
}

/// A signal mask line (`SigCgt`, `SigIgn`) of /proc/<pid>/status.
fn mask(pid: u32, field: &str) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .unwrap_or(0)
}

fn bit(sig: u32) -> u64 {
    1 << (sig - 1)
}

const SIGHUP: u32 = 1;
const SIGINT: u32 = 2;
const SIGTERM: u32 = 15;

/// Waits until the process catches `sig` (its handler is installed), at most 60 s.
fn wait_caught(child: &mut Child, sig: u32) {
    let t0 = Instant::now();
    while mask(child.id(), "SigCgt:") & bit(sig) == 0 {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("bnlab run ended ({status}) before it caught signal {sig}");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "signal {sig} never caught"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn kill(child: &Child, sig: &str) {
    let ok = Command::new("kill")
        .arg(format!("-{sig}"))
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(ok.success());
}

/// Waits at most 60 s for the process to end; returns its exit code, stdout and stderr.
fn finish(mut child: Child) -> (Option<i32>, String, String) {
    let t0 = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if t0.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("bnlab run did not stop within 60 s of the signal");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Checks the documented outcome of a stop signal and returns the saved folder.
fn assert_saved_as_interrupted(code: Option<i32>, sig: u32, stdout: &str, stderr: &str) -> PathBuf {
    // 128 + the signal, as a shell reports a process it stopped, so scripts can tell.
    assert_eq!(code, Some(128 + sig as i32), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("interrupted: saving what was measured so far"),
        "{stderr}"
    );
    let dir = PathBuf::from(stdout.lines().last().unwrap_or_default());
    let summary = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
    for v in ["plain", "bn"] {
        assert!(
            summary
                .lines()
                .any(|l| l.starts_with(&format!("{v},1,")) && l.contains(",interrupted,")),
            "{summary}"
        );
    }
    let metrics = std::fs::read_to_string(dir.join("metrics.csv")).unwrap();
    for v in ["plain", "bn"] {
        assert!(
            metrics
                .lines()
                .any(|l| l.starts_with(&format!("{v},1,")) && l.contains(",train_loss,")),
            "no {v} training loss saved:\n{metrics}"
        );
    }
    dir
}

fn stops_and_saves(sig: u32, name: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = spawn(tmp.path(), "--default-signal=HUP,INT,TERM");
    wait_caught(&mut child, sig);
    // Let it train a little so there is something to save.
    std::thread::sleep(Duration::from_millis(500));
    kill(&child, name);
    let (code, stdout, stderr) = finish(child);
    let dir = assert_saved_as_interrupted(code, sig, &stdout, &stderr);
    assert!(dir.starts_with(tmp.path().join("out")), "{}", dir.display());
}

#[test]
fn sigint_stops_a_headless_run_and_saves_it() {
    stops_and_saves(SIGINT, "INT");
}

#[test]
fn sigterm_stops_a_headless_run_and_saves_it() {
    stops_and_saves(SIGTERM, "TERM");
}

#[test]
fn sighup_is_caught_and_saves_a_headless_run() {
    stops_and_saves(SIGHUP, "HUP");
}

#[test]
fn a_sighup_ignored_at_start_stays_ignored_and_the_run_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let mut child = spawn(tmp.path(), "--ignore-signal=HUP");
    wait_caught(&mut child, SIGINT);
    assert_eq!(mask(child.id(), "SigCgt:") & bit(SIGHUP), 0);
    assert_ne!(mask(child.id(), "SigIgn:") & bit(SIGHUP), 0);
    kill(&child, "HUP");
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the hang-up stopped a run started under nohup"
    );
    kill(&child, "TERM");
    let (code, stdout, stderr) = finish(child);
    assert_saved_as_interrupted(code, SIGTERM, &stdout, &stderr);
}
