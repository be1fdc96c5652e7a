//! A run is never lost and never half-saved, and a signal is honoured from the start with an
//! exit code a script can tell apart (0 finished, 130 SIGINT, 143 SIGTERM, 3 not saved).

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::rel_support::{bnlab, entries, run, text};

fn quick_run(out: &Path, steps: &str) -> Vec<String> {
    [
        "run",
        "--dataset",
        "mnist-5k",
        "--steps",
        steps,
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

#[test]
fn when_every_save_location_fails_the_table_is_printed_and_the_exit_code_is_3() {
    let home = tempfile::tempdir().unwrap();
    // A file where each folder should be: nothing can be created under it, even by root.
    let blocked = home.path().join("blocked");
    std::fs::write(&blocked, b"x").unwrap();
    let out = bnlab(home.path())
        .env("XDG_STATE_HOME", blocked.join("state"))
        .env("XDG_CACHE_HOME", blocked.join("cache"))
        .env("TMPDIR", blocked.join("tmp"))
        .args(quick_run(&blocked.join("out"), "20"))
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(3), "{t}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("variant") && stdout.contains("plain"),
        "{t}"
    );
    assert!(
        t.contains("blocked/out/") && t.contains("metrics.csv was not written"),
        "{t}"
    );
    for place in [
        "blocked/out",
        "blocked/state",
        "blocked/cache",
        "blocked/tmp",
    ] {
        assert_eq!(
            t.matches(place).count(),
            1 + usize::from(place == "blocked/out"),
            "{place}: {t}"
        );
    }
}

#[test]
fn a_failed_out_folder_falls_back_to_the_users_state_folder() {
    let home = tempfile::tempdir().unwrap();
    let blocked = home.path().join("blocked");
    std::fs::write(&blocked, b"x").unwrap();
    let (code, t) = run(
        home.path(),
        &super::rel_support::strs(&quick_run(&blocked, "20")),
    );
    assert_eq!(code, 0, "{t}");
    let saved = home.path().join("state/bnlab/runs");
    assert_eq!(entries(&saved).len(), 1, "{t}");
    assert!(t.contains(&format!("saved to {}", saved.display())), "{t}");
    // The fixed folder shared by all users is not used any more.
    assert!(!t.contains("/bnlab-runs/"), "{t}");
}

#[test]
fn a_full_disk_leaves_no_partial_folder_and_the_run_goes_elsewhere() {
    let home = tempfile::tempdir().unwrap();
    let full = home.path().join("full");
    std::fs::create_dir(&full).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=256k", "tmpfs"])
        .arg(&full)
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("skipped: cannot mount a small tmpfs (needs root)");
        return;
    }
    let (code, t) = run(
        home.path(),
        &super::rel_support::strs(&{
            let mut a = quick_run(&full, "3000");
            a.extend(["--log-every".into(), "1".into()]);
            a
        }),
    );
    let left = entries(&full);
    let _ = Command::new("umount").arg(&full).status();
    assert_eq!(code, 0, "{t}");
    assert!(left.is_empty(), "left behind: {left:?}");
    assert!(t.contains("No space left on device"), "{t}");
    assert!(
        !t.contains(".bnlab-saving"),
        "the hidden folder is not named: {t}"
    );
    assert_eq!(
        entries(&home.path().join("state/bnlab/runs")).len(),
        1,
        "{t}"
    );
}

#[test]
fn a_hidden_save_in_progress_is_not_listed_as_a_run() {
    let home = tempfile::tempdir().unwrap();
    let dir = super::rel_support::saved_run(home.path());
    let hidden = dir.parent().unwrap().join(".bnlab-saving-x");
    std::fs::create_dir(&hidden).unwrap();
    std::fs::copy(dir.join("config.json"), hidden.join("config.json")).unwrap();
    assert_eq!(bnlab::runs::list(dir.parent().unwrap()), vec![dir]);
}

/// Starts bnlab with SIGINT ignored, as a shell does for a background job, and waits until
/// it runs bnlab's own code: a signal from then on must be honoured.
fn spawn_backgrounded(home: &Path, args: &[String]) -> std::process::Child {
    let mut c = Command::new("sh");
    c.arg("-c")
        .arg("trap '' INT; exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_bnlab"))
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in bnlab(home).get_envs() {
        match v {
            Some(v) => c.env(k, v),
            None => c.env_remove(k),
        };
    }
    let child = c.current_dir(home).spawn().unwrap();
    let exe = format!("/proc/{}/exe", child.id());
    let started = Instant::now();
    while std::fs::read_link(&exe).map_or(true, |p| !p.to_string_lossy().contains("bnlab")) {
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "bnlab did not start"
        );
        std::thread::sleep(Duration::from_micros(200));
    }
    // Past exec. bnlab's first instructions install the handlers: wait for SIGINT to be
    // caught, but no longer than 50 ms, far less than loading 60,000 images takes.
    let exec = Instant::now();
    while !catches_sigint(child.id()) && exec.elapsed() < Duration::from_millis(50) {
        std::thread::sleep(Duration::from_micros(100));
    }
    child
}

/// Whether the process has a handler for SIGINT, from the SigCgt mask of its status.
fn catches_sigint(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            let hex = s
                .lines()
                .find_map(|l| l.strip_prefix("SigCgt:"))?
                .trim()
                .to_string();
            u64::from_str_radix(&hex, 16).ok()
        })
        .is_some_and(|mask| mask & (1 << (2 - 1)) != 0)
}

fn kill(pid: u32, sig: &str) {
    assert!(Command::new("kill")
        .args([sig, &pid.to_string()])
        .status()
        .unwrap()
        .success());
}

/// A data folder of 60,000 blank training images, which takes a while to load.
fn big_folder(home: &Path) -> std::path::PathBuf {
    use bnlab::data::idx::encode;
    let d = home.join("big");
    std::fs::create_dir_all(&d).unwrap();
    let labels = |n: usize| (0..n).map(|i| (i % 10) as u8).collect::<Vec<_>>();
    let n = 60_000;
    for (f, b) in [
        (
            "train-images-idx3-ubyte",
            encode(&[n as u32, 28, 28], &vec![7u8; n * 784]),
        ),
        ("train-labels-idx1-ubyte", encode(&[n as u32], &labels(n))),
        (
            "t10k-images-idx3-ubyte",
            encode(&[10, 28, 28], &[3u8; 10 * 784]),
        ),
        ("t10k-labels-idx1-ubyte", encode(&[10], &labels(10))),
    ] {
        std::fs::write(d.join(f), b).unwrap();
    }
    d
}

#[test]
fn a_sigint_in_the_first_moments_stops_the_run_with_exit_130() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("runs");
    let data = big_folder(home.path());
    let mut args = vec!["--data-dir".to_string(), data.display().to_string()];
    args.extend(quick_run(&out, "100000"));
    args[4] = "mnist".into();
    let child = spawn_backgrounded(home.path(), &args);
    kill(child.id(), "-INT");
    let started = Instant::now();
    let o = child.wait_with_output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(130), "{t}");
    assert!(started.elapsed() < Duration::from_secs(20), "{t}");
    assert!(t.contains("interrupted"), "{t}");
}

#[test]
fn sigterm_during_training_saves_the_run_and_exits_143() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("runs");
    let child = spawn_backgrounded(home.path(), &quick_run(&out, "100000"));
    std::thread::sleep(Duration::from_millis(1500));
    kill(child.id(), "-TERM");
    let o = child.wait_with_output().unwrap();
    let t = text(&o);
    assert_eq!(o.status.code(), Some(143), "{t}");
    let runs = entries(&out);
    assert_eq!(runs.len(), 1, "{t}");
    let summary = std::fs::read_to_string(out.join(&runs[0]).join("summary.csv")).unwrap();
    assert!(summary.contains("interrupted"), "{summary}");
}

#[test]
fn a_finished_run_exits_0_and_the_help_documents_the_exit_codes() {
    let home = tempfile::tempdir().unwrap();
    let (code, t) = run(
        home.path(),
        &super::rel_support::strs(&quick_run(&home.path().join("r"), "5")),
    );
    assert_eq!(code, 0, "{t}");
    let (code, t) = run(home.path(), &["run", "--help"]);
    assert_eq!(code, 0, "{t}");
    for line in ["0 ", "1 ", "2 ", "3 ", "130 ", "143 "] {
        assert!(
            t.contains(&format!("  {line}")),
            "exit code {line}missing: {t}"
        );
    }
}
