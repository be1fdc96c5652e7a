//! End to end: the real binary in tmux at 100×30 picks a preset on mnist-5k, trains both
//! variants, exports, quits, and leaves a run folder and a restored terminal behind.
//! Need tmux (`support::prereq`: a failure under CI, a counted skip elsewhere).

use crate::support::{http, prereq};

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub(crate) struct Tmux {
    pub(crate) socket: String,
    pub(crate) session: String,
}

impl Tmux {
    pub(crate) fn cmd(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .expect("running tmux")
    }

    pub(crate) fn capture(&self) -> String {
        String::from_utf8_lossy(
            &self
                .cmd(&["capture-pane", "-p", "-t", &self.session])
                .stdout,
        )
        .into_owned()
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", &self.session];
        args.extend_from_slice(keys);
        self.cmd(&args);
    }

    /// Polls the screen until `pred` holds, at most `secs` seconds.
    pub(crate) fn wait_for(&self, what: &str, secs: u64, pred: impl Fn(&str) -> bool) -> String {
        let t0 = Instant::now();
        loop {
            let s = self.capture();
            if pred(&s) {
                return s;
            }
            if t0.elapsed() > Duration::from_secs(secs) {
                panic!("timed out after {secs} s waiting for {what}; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.cmd(&["kill-server"]);
    }
}

/// The step a gauge line shows for a variant, e.g. "● plain   running    step 120/1000".
pub(crate) fn gauge_step(screen: &str, variant: &str) -> Option<u64> {
    screen
        .lines()
        .find(|l| l.contains(&format!(" {variant} ")) && l.contains("step "))
        .and_then(|l| l.split("step ").nth(1))
        .and_then(|s| s.split('/').next())
        .and_then(|n| n.trim().parse().ok())
}

fn run_dirs(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir.join("saved_runs"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect()
}

#[test]
fn pick_a_preset_train_export_and_quit_in_tmux() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = env!("CARGO_BIN_EXE_bnlab");
    // Own cache dir and no data env var: the run is on the embedded mnist-5k, whatever the
    // machine has; the log goes to the temp dir.
    let script = format!(
        "cd '{d}' && env -u BNLAB_DATA_DIR XDG_CACHE_HOME='{d}/cache' BNLAB_LOG='{d}/bnlab.log' TERM=xterm-256color '{bin}'; echo BNLAB_EXIT=$?; sleep 120",
        d = dir.display()
    );
    let Some(t) = start("main", &script) else {
        return;
    };

    // A capture can catch a frame half drawn: wait for the whole of what is checked.
    t.wait_for("the menu with the first preset on mnist-5k", 60, |s| {
        s.contains("Experiments") && s.contains("Ioffe & Szegedy 2015") && s.contains("mnist-5k")
    });
    let s = start_training(&t);
    assert!(s.contains("Loss") && s.contains("Accuracy"), "{s}");
    t.keys(&["e"]);
    t.wait_for("the export message", 60, |s| {
        s.contains("exported to saved_runs/")
    });
    t.keys(&["q"]);
    let end = t.wait_for("bnlab to exit", 60, |s| s.contains("BNLAB_EXIT="));
    assert!(end.contains("BNLAB_EXIT=0"), "{end}");
    // Restored: the shell's text is visible again, outside the alternate screen.
    let alt = t.cmd(&["display-message", "-p", "-t", &t.session, "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0");
    assert!(end.contains("bnlab: run saved in saved_runs/"), "{end}");
    assert!(!end.contains("Experiments"), "UI left on screen:\n{end}");

    let dirs = run_dirs(dir);
    assert_eq!(dirs.len(), 1, "{dirs:?}");
    for f in ["config.json", "metrics.csv", "summary.csv", "timing.csv"] {
        assert!(
            dirs[0].join(f).is_file(),
            "{f} missing in {}",
            dirs[0].display()
        );
    }
    let metrics = std::fs::read_to_string(dirs[0].join("metrics.csv")).unwrap();
    assert!(metrics.lines().any(|l| l.starts_with("plain,")));
    assert!(metrics.lines().any(|l| l.starts_with("bn,")));
}

#[cfg(feature = "fault-injection")]
#[test]
fn a_panic_restores_the_terminal_and_its_message_stays_readable() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = env!("CARGO_BIN_EXE_bnlab");
    let script = format!(
        "cd '{d}' && env -u BNLAB_DATA_DIR -u RUST_BACKTRACE XDG_CACHE_HOME='{d}/cache' BNLAB_LOG='{d}/bnlab.log' BNLAB_TEST_PANIC=ui '{bin}'; echo BNLAB_EXIT=$?; sleep 120",
        d = dir.display()
    );
    let Some(t) = start("panic", &script) else {
        return;
    };
    let end = t.wait_for("bnlab to exit", 60, |s| s.contains("BNLAB_EXIT="));
    assert!(end.contains("injected UI panic"), "{end}");
    assert!(end.contains("BNLAB_EXIT=101"), "{end}");
    let alt = t.cmd(&["display-message", "-p", "-t", &t.session, "#{alternate_on}"]);
    assert_eq!(String::from_utf8_lossy(&alt.stdout).trim(), "0");
    let log = std::fs::read_to_string(dir.join("bnlab.log")).unwrap();
    assert!(log.contains("injected UI panic"), "{log}");
}

/// Starts `script` in a detached 100×30 tmux session, or None when tmux is missing (and
/// that is allowed here).
fn start(name: &str, script: &str) -> Option<Tmux> {
    start_sized(name, script, 100, 30)
}

/// `start` at `cols`×`rows`.
pub(crate) fn start_sized(name: &str, script: &str, cols: u16, rows: u16) -> Option<Tmux> {
    let (cols, rows) = (cols.to_string(), rows.to_string());
    if !prereq::tmux() {
        return None;
    }
    let t = Tmux {
        socket: format!("bnlab-e2e-{name}-{}", std::process::id()),
        session: "e2e".into(),
    };
    let out = t.cmd(&[
        "new-session",
        "-d",
        "-s",
        &t.session,
        "-x",
        &cols,
        "-y",
        &rows,
        "sh",
        "-c",
        script,
    ]);
    assert!(
        out.status.success(),
        "tmux: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(t)
}

/// Waits until a run folder under `parent` has a summary.csv, and returns its text.
fn wait_for_summary(parent: &Path, secs: u64) -> String {
    let t0 = Instant::now();
    loop {
        let found = std::fs::read_dir(parent)
            .into_iter()
            .flatten()
            .flatten()
            .find_map(|e| std::fs::read_to_string(e.path().join("summary.csv")).ok());
        if let Some(s) = found {
            return s;
        }
        if t0.elapsed() > Duration::from_secs(secs) {
            panic!(
                "no run folder with summary.csv under {} after {secs} s",
                parent.display()
            );
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Closing the terminal (tmux kill-session sends SIGHUP) saves the running run as interrupted.
#[test]
fn closing_the_terminal_saves_the_running_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = env!("CARGO_BIN_EXE_bnlab");
    let script = format!(
        "cd '{d}' && env -u BNLAB_DATA_DIR XDG_CACHE_HOME='{d}/cache' BNLAB_LOG='{d}/bnlab.log' TERM=xterm-256color '{bin}'",
        d = dir.display()
    );
    let Some(t) = start("hup", &script) else {
        return;
    };
    start_training(&t);
    t.cmd(&["kill-session", "-t", &t.session]);
    let summary = wait_for_summary(&dir.join("saved_runs"), 60);
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("plain,1,") && l.contains(",interrupted,")),
        "{summary}"
    );
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("bn,1,") && l.contains(",interrupted,")),
        "{summary}"
    );
}

/// The same for the headless `bnlab run`.
#[test]
fn closing_the_terminal_saves_a_headless_run() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = env!("CARGO_BIN_EXE_bnlab");
    let script = format!(
        "cd '{d}' && env -u BNLAB_DATA_DIR XDG_CACHE_HOME='{d}/cache' '{bin}' run --epochs 500 --out '{d}/out'",
        d = dir.display()
    );
    let Some(t) = start("hup-headless", &script) else {
        return;
    };
    t.wait_for("training to start", 60, |s| s.contains(" steps "));
    t.cmd(&["kill-session", "-t", &t.session]);
    let summary = wait_for_summary(&dir.join("out"), 60);
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("plain,1,") && l.contains(",interrupted,")),
        "{summary}"
    );
}

/// In the UI: `d`, yes, the download from a loopback mirror of the real files, and full
/// MNIST is then selected. Needs the shared MNIST files to serve.
#[test]
fn full_mnist_downloads_from_inside_the_ui() {
    let Some(src) = prereq::shared_mnist() else {
        return;
    };
    let server = http::serve(move |p, _| http::file_reply(&src, p));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = env!("CARGO_BIN_EXE_bnlab");
    let script = format!(
        "cd '{d}' && env -u BNLAB_DATA_DIR XDG_CACHE_HOME='{d}/cache' BNLAB_LOG='{d}/bnlab.log' BNLAB_MIRRORS='{m}' TERM=xterm-256color '{bin}'; echo BNLAB_EXIT=$?; sleep 120",
        d = dir.display(),
        m = server.url("mnist/")
    );
    let Some(t) = start("fetch", &script) else {
        return;
    };
    // A capture can catch a frame half drawn: wait for the whole of what is checked.
    t.wait_for("the menu with the download offer", 60, |s| {
        s.contains("Experiments") && s.contains("Press d to download")
    });
    t.keys(&["d"]);
    t.wait_for("the offer", 30, |s| {
        s.contains("Download full MNIST (11 MB)?")
    });
    t.keys(&["y"]);
    let s = t.wait_for("the download to finish", 120, |s| {
        (s.contains("installed in") && s.contains("MNIST (60k train, 10k test)"))
            || s.contains("download failed")
    });
    assert!(s.contains("full MNIST installed in"), "{s}");
    // Preselected: the menu's settings and the form now use full MNIST.
    assert!(s.contains("MNIST (60k train, 10k test)"), "{s}");
    t.keys(&["Enter"]);
    let form = t.wait_for("the settings form's dataset row", 30, |s| {
        s.contains("Experiment settings") && s.contains("‹ mnist")
    });
    assert!(form.contains("‹ mnist ›"), "{form}");
    t.keys(&["q"]);
    t.wait_for("bnlab to exit", 60, |s| s.contains("BNLAB_EXIT=0"));
    let installed = dir.join("cache/bnlab/mnist");
    for f in [
        "train-images-idx3-ubyte.gz",
        "train-labels-idx1-ubyte.gz",
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ] {
        assert!(
            installed.join(f).is_file(),
            "{f} missing in {}",
            installed.display()
        );
    }
    assert_eq!(server.hits_under("mnist/"), 4);
}

/// From the saved-runs browser, R writes report.md next to the run and says where.
#[test]
fn the_browser_writes_a_report_with_capital_r() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = env!("CARGO_BIN_EXE_bnlab");
    let made = Command::new(bin)
        .args(["run", "--epochs", "1", "--quiet", "--out"])
        .arg(dir.join("saved_runs"))
        .env_remove("BNLAB_DATA_DIR")
        .env("XDG_CACHE_HOME", dir.join("cache"))
        .output()
        .unwrap();
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let runs = run_dirs(dir);
    assert_eq!(runs.len(), 1, "{runs:?}");
    let script = format!(
        "cd '{d}' && env -u BNLAB_DATA_DIR XDG_CACHE_HOME='{d}/cache' BNLAB_LOG='{d}/bnlab.log' TERM=xterm-256color '{bin}'",
        d = dir.display()
    );
    let Some(t) = start("report", &script) else {
        return;
    };
    t.wait_for("the menu", 60, |s| s.contains("Experiments"));
    t.keys(&["b"]);
    t.wait_for("the browser", 30, |s| s.contains("1 run(s)"));
    t.keys(&["R"]);
    let s = t.wait_for("the report", 60, |s| {
        s.contains("report written:") || s.contains("failed")
    });
    assert!(s.contains("report written: saved_runs/"), "{s}");
    assert!(runs[0].join("report.md").is_file());
    t.keys(&["q"]);
}

/// `nohup bnlab run …` asks for the run to outlive the terminal: the hang-up is not caught
/// and the run trains to the end.
#[test]
fn a_nohup_run_survives_closing_the_terminal() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    let bin = env!("CARGO_BIN_EXE_bnlab");
    // `started` appears once SIGHUP is already ignored, so the kill below cannot come first.
    let script = format!(
        "cd '{d}' && nohup sh -c \"touch '{d}/started'; exec env -u BNLAB_DATA_DIR XDG_CACHE_HOME='{d}/cache' '{bin}' run --epochs 4 --quiet --out '{d}/out'\" > '{d}/nohup.log' 2>&1",
        d = dir.display()
    );
    let Some(t) = start("nohup", &script) else {
        return;
    };
    let t0 = Instant::now();
    while !dir.join("started").exists() {
        assert!(
            t0.elapsed() < Duration::from_secs(60),
            "the run never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    t.cmd(&["kill-session", "-t", &t.session]);
    let summary = wait_for_summary(&dir.join("out"), 300);
    assert!(
        summary
            .lines()
            .any(|l| l.starts_with("plain,1,") && l.contains(",finished,")),
        "{summary}"
    );
}

/// A shell script that starts bnlab in `dir` on mnist-5k where `saved_runs` is a file, so no
/// run folder can be made there; the temp folder is `dir/tmp`.
fn unwritable_runs_script(dir: &Path) -> String {
    let bin = env!("CARGO_BIN_EXE_bnlab");
    format!(
        "cd '{d}' && touch saved_runs && mkdir -p tmp && env -u BNLAB_DATA_DIR TMPDIR='{d}/tmp' XDG_CACHE_HOME='{d}/cache' BNLAB_LOG='{d}/bnlab.log' TERM=xterm-256color '{bin}'; echo BNLAB_EXIT=$?; sleep 120",
        d = dir.display()
    )
}

/// Opens the first experiment with 500 epochs, long enough that it is still training when the
/// test's next key arrives (the default 20 epochs of mnist-5k take about a second), and
/// starts it; returns the screen showing both variants' progress.
pub(crate) fn start_training(t: &Tmux) -> String {
    t.wait_for("the menu", 60, |s| s.contains("Experiments"));
    t.keys(&["Enter"]);
    t.wait_for("the settings form", 60, |s| {
        s.contains("Experiment settings")
    });
    t.keys(&["Down", "Down", "Down", "Down", "Down", "Down", "Down"]);
    t.keys(&["BSpace", "BSpace", "BSpace", "BSpace", "500", "Enter"]);
    t.wait_for("both variants to show progress", 60, |s| {
        gauge_step(s, "plain").is_some_and(|n| n > 0) && gauge_step(s, "bn").is_some_and(|n| n > 0)
    })
}

/// bnlab training in tmux (see `start_training`) where `saved_runs` cannot be written; the
/// temporary folder holds the test's files. `None` when tmux is missing.
fn train_with_unwritable_runs(name: &str) -> Option<(tempfile::TempDir, Tmux)> {
    let tmp = tempfile::tempdir().unwrap();
    let t = start(name, &unwritable_runs_script(tmp.path()))?;
    start_training(&t);
    Some((tmp, t))
}

fn saved_runs_under(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("metrics.csv").is_file())
        .collect()
}

#[test]
fn an_unwritable_runs_folder_offers_another_path_in_the_ui() {
    let Some((tmp, t)) = train_with_unwritable_runs("saveas") else {
        return;
    };
    let dir = tmp.path();
    t.keys(&["e"]);
    t.wait_for("the save-elsewhere box", 30, |s| {
        s.contains("Save the run elsewhere") && s.contains("kept in memory")
    });
    // Esc keeps the run in memory; e asks again.
    t.keys(&["Escape"]);
    t.wait_for("the box to close", 30, |s| {
        !s.contains("Save the run elsewhere")
    });
    t.keys(&["e"]);
    t.wait_for("the box again", 30, |s| {
        s.contains("Save the run elsewhere")
    });
    t.cmd(&["send-keys", "-t", &t.session, "-N", "200", "BSpace"]);
    let target = dir.join("elsewhere");
    t.keys(&["-l", &target.display().to_string()]);
    t.keys(&["Enter"]);
    t.wait_for("the saved message", 30, |s| s.contains("run saved to"));
    t.keys(&["q"]);
    let end = t.wait_for("bnlab to exit", 60, |s| s.contains("BNLAB_EXIT="));
    assert!(end.contains("BNLAB_EXIT=0"), "{end}");
    let saved = saved_runs_under(&target);
    assert_eq!(saved.len(), 1, "{saved:?}\n{end}");
    let summary = std::fs::read_to_string(saved[0].join("summary.csv")).unwrap();
    assert!(summary.contains("interrupted"), "{summary}");
}

#[test]
fn quitting_with_an_unsaveable_run_keeps_it_in_the_temp_folder() {
    let Some((tmp, t)) = train_with_unwritable_runs("savetmp") else {
        return;
    };
    let dir = tmp.path();
    t.keys(&["q"]);
    let end = t.wait_for("bnlab to exit", 60, |s| s.contains("BNLAB_EXIT="));
    assert!(end.contains("BNLAB_EXIT=0"), "{end}");
    let fallback = dir.join("tmp").join("bnlab-runs");
    let saved = saved_runs_under(&fallback);
    assert_eq!(saved.len(), 1, "{saved:?}\n{end}");
    assert!(end.contains("bnlab: run saved in"), "{end}");
}
