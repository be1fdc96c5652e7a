//! The flows a person uses on the run screen, through the real binary in tmux at 80×24:
//! watch, pause, single step, zoom, read the cursor, pick a metric, be asked before a
//! restart or another start, Esc that never quits, export and quit.
//! Needs tmux (`support::prereq`: a failure under CI, a counted skip elsewhere).

use crate::e2e_tmux::{gauge_step, start_sized, start_training, Tmux};
use crate::support::prereq;

fn start_80x24(dir: &std::path::Path) -> Option<Tmux> {
    if !prereq::tmux() {
        return None;
    }
    let bin = env!("CARGO_BIN_EXE_bnlab");
    let script = format!(
        "cd '{d}' && env -u BNLAB_DATA_DIR XDG_CACHE_HOME='{d}/cache' BNLAB_LOG='{d}/bnlab.log' TERM=xterm-256color '{bin}'; echo BNLAB_EXIT=$?; sleep 120",
        d = dir.display()
    );
    start_sized("flows", &script, 80, 24)
}

#[test]
fn watch_pause_step_zoom_pick_confirm_export_and_quit_at_80x24() {
    let tmp = tempfile::tempdir().unwrap();
    let Some(t) = start_80x24(tmp.path()) else {
        return;
    };
    start_training(&t);

    // Pause holds the trainers; a single step moves them one log interval and pauses again.
    t.keys(&["Space"]);
    let s = t.wait_for("the paused state", 60, |s| s.contains("PAUSED"));
    let before = gauge_step(&s, "plain").unwrap();
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert_eq!(
        gauge_step(&t.capture(), "plain"),
        Some(before),
        "{}",
        t.capture()
    );
    t.keys(&["."]);
    let s = t.wait_for("one more step while paused", 60, |s| {
        gauge_step(s, "plain").is_some_and(|n| n > before)
    });
    std::thread::sleep(std::time::Duration::from_millis(800));
    let s2 = t.capture();
    assert!(s2.contains("PAUSED"), "{s2}");
    assert_eq!(
        gauge_step(&s2, "plain"),
        gauge_step(&s, "plain"),
        "it went on:\n{s2}"
    );

    // Zoom, and the cursor's readout of every series.
    t.keys(&["z"]);
    t.wait_for("the zoomed chart", 30, |s| s.contains("zoomed (0 resets)"));
    t.keys(&["Right"]);
    let s = t.wait_for("the cursor readout", 30, |s| {
        s.lines().any(|l| l.starts_with("steps "))
    });
    let line = s.lines().find(|l| l.starts_with("steps ")).unwrap();
    assert!(
        line.contains("loss ●") && line.contains("val acc ●") && line.contains("■"),
        "{s}"
    );

    // The metric picker puts the gradient norm on the left chart.
    t.keys(&["0", "m"]);
    t.wait_for("the metric picker", 30, |s| {
        s.contains("Metric of the left chart")
    });
    t.keys(&["Down", "Down", "Down", "Enter"]);
    t.wait_for("the gradient norm chart", 30, |s| {
        s.contains(" grad_norm — ")
    });

    // Restart asks first; n keeps the run.
    t.keys(&["r"]);
    t.wait_for("the restart question", 30, |s| s.contains("Restart?"));
    t.keys(&["n"]);
    t.wait_for("the answer", 30, |s| s.contains("nothing changed"));

    // Esc goes back to the menu and, pressed again, does not quit.
    t.keys(&["Escape"]);
    t.wait_for("the menu", 30, |s| s.contains("Experiments"));
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.keys(&["Escape"]);
    let s = t.wait_for("the hint", 30, |s| s.contains("q quits"));
    assert!(!s.contains("BNLAB_EXIT"), "{s}");
    // Starting another run asks before interrupting this one.
    t.keys(&["Enter"]);
    t.wait_for("the settings form", 30, |s| {
        s.contains("Experiment settings")
    });
    t.keys(&["Enter"]);
    t.wait_for("the stop question", 30, |s| {
        s.contains("Stop the run in training?")
    });
    // One key at a time: Escape followed at once by a letter reads as Alt+letter.
    t.keys(&["n"]);
    std::thread::sleep(std::time::Duration::from_millis(300));
    t.keys(&["Escape"]);
    t.wait_for("the menu again", 30, |s| s.contains("Experiments"));
    t.keys(&["v"]);
    t.wait_for("the run again", 30, |s| s.contains("PAUSED"));

    t.keys(&["e"]);
    t.wait_for("the export message", 60, |s| {
        s.contains("exported to saved_runs/")
    });
    t.keys(&["q"]);
    let end = t.wait_for("bnlab to exit", 60, |s| s.contains("BNLAB_EXIT="));
    assert!(end.contains("BNLAB_EXIT=0"), "{end}");
}
