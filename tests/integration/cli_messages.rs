//! Each message names the flag at fault, once, with exit code 2 for a usage error.

use super::rel_support::run;

#[test]
fn usage_errors_name_their_flag_once_and_exit_2() {
    let home = tempfile::tempdir().unwrap();
    let out = home.path().join("r").display().to_string();
    let o = out.as_str();
    for (args, flag, says) in [
        (
            &["bench", "--samples", "0"][..],
            "--samples",
            "at least 10000",
        ),
        (
            &["run", "--lr", "1e-300", "--out", o][..],
            "--lr",
            "1e-300 is 0 in single precision",
        ),
        (
            &["run", "--preset", "high-lr", "--lr", "0.1", "--out", o][..],
            "--lr",
            "the high-lr preset sweeps the learning rate",
        ),
        (
            &["run", "--train-limit", "10", "--out", o][..],
            "--batch-size",
            "the ioffe2015 preset's batch size: 60 is larger than the training set",
        ),
        (
            &["run", "--batch-size", "5000", "--out", o][..],
            "--batch-size",
            "5000 is larger than the training set",
        ),
    ] {
        let (code, t) = run(home.path(), args);
        assert_eq!(code, 2, "{args:?}: {t}");
        assert!(
            t.contains(&format!("{flag}: ")) && t.contains(says),
            "{args:?}: {t}"
        );
        assert_eq!(t.matches(flag).count(), 1, "{args:?}: {t}");
    }
    // Nothing was trained or saved for any of them.
    assert!(!home.path().join("r").exists());
}
