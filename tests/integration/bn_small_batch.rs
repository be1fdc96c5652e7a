//! BN with a batch of one: refused up front, and a trainer whose evaluation becomes NaN or
//! infinite anyway is marked diverged with the step and the reason, not finished.

use bnlab::data::DatasetName;
use bnlab::model::Variant;
use bnlab::runs::{DataInfo, RunRecord};
use bnlab::train::{Session, Status};

use super::rel_support::{run, strs};

#[test]
fn batch_size_1_with_bn_is_a_usage_error_naming_the_flag_and_the_variant() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("r").display().to_string();
    let args = [
        "run",
        "--dataset",
        "mnist-5k",
        "--steps",
        "3",
        "-q",
        "--out",
        &out,
    ];
    let mut a: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    a.extend(["--batch-size".into(), "1".into()]);
    let (code, t) = run(home.path(), &strs(&a));
    assert_eq!(code, 2, "{t}");
    assert!(
        t.contains("--batch-size: bn needs batches of at least 2")
            && t.contains("Expected more than 1 value per channel when training"),
        "{t}"
    );
    // The plain network alone has no batch statistics: a batch of one is fine.
    a.extend(["--variants".into(), "plain".into()]);
    let (code, t) = run(home.path(), &strs(&a));
    assert_eq!(code, 0, "{t}");
}

#[test]
fn nan_in_evaluation_marks_the_trainer_diverged_with_step_and_reason() {
    // Past the check, as a hand-made config could be: the running variance divides by
    // m - 1 = 0 and BN's validation loss becomes NaN while its training loss stays finite.
    let mut c = bnlab::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    c.batch_size = 1;
    c.steps = Some(30);
    c.eval_every = 10;
    assert!(c.validate().is_err());
    let data = c.prepare_data(None).unwrap();
    let mut record = RunRecord::new(c.clone(), DataInfo::of(&data));
    let session = Session::start(c, std::sync::Arc::new(data));
    while let Ok(ev) = session.events.recv() {
        record.apply(&ev);
    }
    session.stop_and_join();
    let bn = record
        .jobs
        .iter()
        .find(|j| j.id.variant == Variant::Bn)
        .unwrap();
    assert_eq!(bn.status, Status::Diverged, "{:?}", bn.message);
    let m = bn.message.clone().unwrap_or_default();
    assert!(
        m.contains("NaN at step") || m.contains("inf at step"),
        "{m}"
    );
    let plain = record
        .jobs
        .iter()
        .find(|j| j.id.variant == Variant::Plain)
        .unwrap();
    assert_eq!(plain.status, Status::Finished);
}
