//! Pause, resume and stop at trainer level (`Session` and its `Control`), as the UI drives
//! them: a paused trainer sends nothing and its steps stand still, it resumes where it
//! stopped, the pause does not count as training time, and stop ends every trainer.

use bnlab::metric::Metric;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bnlab::data::DatasetName;
use bnlab::runs::RunRecord;
use bnlab::train::{Session, Status};

const PAUSE: Duration = Duration::from_millis(1500);

/// Applies events until every job has reached `step`, at most 60 s.
fn until_step(s: &Session, rec: &mut RunRecord, step: u64) {
    let t0 = Instant::now();
    while rec.jobs.is_empty() || rec.jobs.iter().any(|j| j.step < step) {
        let left = Duration::from_secs(60).saturating_sub(t0.elapsed());
        let ev = s
            .events
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("waiting for step {step}: {e}"));
        rec.apply(&ev);
    }
}

#[test]
fn pause_holds_the_trainers_resume_continues_and_stop_ends_them() {
    let mut c = bnlab::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    c.steps = Some(100_000_000);
    // One pair, both running at once: the presets' three seeds would queue four trainers.
    c.seeds = 1;
    let data = Arc::new(c.prepare_data(None).unwrap());
    let mut rec = RunRecord::new(c.clone(), bnlab::runs::DataInfo::of(&data));
    let t0 = Instant::now();
    let s = Session::start(c, data);
    until_step(&s, &mut rec, 50);

    s.control.pause();
    // A trainer finishes the step it is in, then waits: its last events arrive until the
    // channel has been quiet for a while.
    let quiet_from = Instant::now();
    while let Ok(ev) = s.events.recv_timeout(Duration::from_millis(300)) {
        rec.apply(&ev);
        assert!(
            quiet_from.elapsed() < Duration::from_secs(10),
            "trainers still send events 10 s after the pause"
        );
    }
    let frozen: Vec<u64> = rec.jobs.iter().map(|j| j.step).collect();
    std::thread::sleep(PAUSE);
    if let Ok(ev) = s.events.try_recv() {
        panic!("a paused trainer sent {ev:?}");
    }

    s.control.resume();
    let target = frozen.iter().max().unwrap() + 50;
    until_step(&s, &mut rec, target);
    s.control.stop();
    for ev in s.events.iter() {
        rec.apply(&ev);
    }
    let wall = t0.elapsed().as_secs_f64();
    for (j, &f) in rec.jobs.iter().zip(&frozen) {
        assert_eq!(j.status, Status::Interrupted, "{}", j.id.variant);
        assert!(
            j.step >= target && j.step > f,
            "{}: step {}",
            j.id.variant,
            j.step
        );
        // Training time leaves the pause out.
        assert!(
            j.elapsed_s > 0.0 && j.elapsed_s < wall - 0.9 * PAUSE.as_secs_f64(),
            "{}: {} s of training in {wall} s with a {PAUSE:?} pause",
            j.id.variant,
            j.elapsed_s
        );
        // The series goes on from where the pause held it: no step is logged twice.
        let steps: Vec<u64> = j.series(Metric::TrainLoss).iter().map(|p| p.0).collect();
        assert!(steps.windows(2).all(|w| w[0] < w[1]), "{steps:?}");
        assert!(steps.iter().any(|&s| s > f), "{steps:?}");
    }
}
