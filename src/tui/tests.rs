//! The runtime without a terminal: messages are fed by hand from its channel.

use std::path::Path;
use std::sync::mpsc::{channel, Receiver};
use std::time::{Duration, Instant};

use super::events::Msg;
use super::runtime::Runtime;
use crate::app::{App, DataState};
use crate::data::DatasetName;
use crate::presets;

fn setup(runs: &Path) -> (App, Runtime, Receiver<Msg>) {
    let (tx, rx) = channel();
    let app = App::new(
        DataState::new(vec![DatasetName::Mnist5k]),
        runs.to_path_buf(),
    );
    (app, Runtime::new(None, tx), rx)
}

/// Handles messages until `done` holds; panics after 60 s.
fn pump(
    app: &mut App,
    rt: &mut Runtime,
    rx: &Receiver<Msg>,
    done: impl Fn(&App, &Runtime) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done(app, rt) {
        assert!(Instant::now() < deadline, "timed out");
        if let Ok(msg) = rx.recv_timeout(Duration::from_millis(100)) {
            rt.handle(msg, app);
        }
    }
}

fn long_run() -> crate::train::RunConfig {
    let mut c = presets::PRESETS[0].config(DatasetName::Mnist5k);
    c.epochs = 500.0;
    c
}

#[test]
fn starting_a_run_over_a_training_one_does_not_wait_and_saves_the_first_when_it_stops() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, mut rt, rx) = setup(tmp.path());
    rt.start(long_run(), &mut app);
    pump(&mut app, &mut rt, &rx, |a, _| {
        a.run
            .as_ref()
            .is_some_and(|r| r.record.jobs.iter().any(|j| !j.rows.is_empty()))
    });
    let t0 = Instant::now();
    rt.start(long_run(), &mut app);
    assert!(
        t0.elapsed() < Duration::from_millis(50),
        "{:?}",
        t0.elapsed()
    );
    assert_eq!(rt.retiring.len(), 1);
    assert!(
        app.run.as_ref().unwrap().is_running(),
        "the new run is shown"
    );
    // The first run is saved, marked interrupted, once its trainers report they stopped.
    pump(&mut app, &mut rt, &rx, |_, rt| {
        rt.retiring.is_empty() && rt.saves_running == 0
    });
    assert_eq!(rt.saved.len(), 1, "{:?}", rt.saved);
    let summary = std::fs::read_to_string(rt.saved[0].join("summary.csv")).unwrap();
    assert!(summary.contains("interrupted"), "{summary}");
    // The way out saves the second the same way.
    super::event_loop::shutdown(&mut app, &mut rt, &rx);
    assert_eq!(rt.saved.len(), 2, "{:?}", rt.saved);
}

#[test]
fn an_export_while_training_is_saved_on_a_thread_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, mut rt, rx) = setup(tmp.path());
    rt.start(long_run(), &mut app);
    pump(&mut app, &mut rt, &rx, |a, _| {
        a.run.as_ref().is_some_and(|r| r.is_running())
    });
    rt.apply(crate::app::Effect::Export, &mut app);
    // A second export while the first is under way waits for it and goes to the same folder.
    rt.apply(crate::app::Effect::Export, &mut app);
    pump(&mut app, &mut rt, &rx, |_, rt| {
        rt.saves_running == 0 && rt.save_again.is_none()
    });
    let dir = app.run.as_ref().unwrap().saved_dir.clone().expect("saved");
    assert!(app.status.as_deref().unwrap().starts_with("exported to"));
    assert_eq!(rt.saved, vec![dir]);
    super::event_loop::shutdown(&mut app, &mut rt, &rx);
    assert_eq!(rt.saved.len(), 1, "saved again in the same folder");
}

#[test]
fn a_confirmed_delete_removes_the_run_folder_refreshes_the_list_and_drops_its_mark() {
    use crossterm::event::KeyCode;
    let tmp = tempfile::tempdir().unwrap();
    let (mut app, mut rt, _rx) = setup(tmp.path());
    let rec = crate::runs::RunRecord::new(
        presets::PRESETS[0].config(DatasetName::Mnist5k),
        crate::runs::DataInfo {
            origin: "embedded".into(),
            train: 4000,
            val: 1000,
            test: 0,
        },
    );
    let a = crate::analysis::save_new(&rec, tmp.path()).unwrap();
    let b = crate::analysis::save_new(&rec, tmp.path()).unwrap();
    rt.apply(crate::app::Effect::ScanRuns, &mut app);
    app.screen = crate::app::Screen::Browser;
    assert_eq!(app.browser.shown_len(), 2);
    assert_eq!(app.browser.selected_dir(), Some(b.as_path()));
    app.on_key(KeyCode::Char(' ').into());
    assert_eq!(app.on_key(KeyCode::Char('d').into()), None);
    let yes = app
        .on_key(KeyCode::Char('y').into())
        .expect("an effect on yes");
    rt.apply(yes, &mut app);
    assert!(!b.exists() && a.exists());
    assert_eq!(app.browser.shown_len(), 1);
    assert!(app.browser.marked.is_empty());
    assert_eq!(app.browser.selected_dir(), Some(a.as_path()));

    // A folder that is not a run is refused even if an effect names it.
    let notes = tmp.path().join("notes");
    std::fs::create_dir(&notes).unwrap();
    rt.apply(crate::app::Effect::DeleteRun(notes.clone()), &mut app);
    assert!(notes.exists());
    assert!(app.status.as_deref().unwrap().starts_with("cannot delete"));
}
