//! Writing run folders: names, atomic files, fresh folders and private folders.

use super::*;
use std::fs;

#[test]
fn run_folder_names_keep_only_safe_characters() {
    let name = run_dir_name("my preset/v2-b");
    // `<YYYYmmdd-HHMMSS>-<preset>`
    let (stamp, preset) = name.split_at(15);
    assert_eq!(preset, "-my_preset_v2-b");
    assert!(
        stamp
            .chars()
            .enumerate()
            .all(|(i, c)| if i == 8 { c == '-' } else { c.is_ascii_digit() }),
        "{name}"
    );
}

#[test]
fn a_new_run_folder_never_reuses_a_name() {
    let parent = tempfile::tempdir().unwrap();
    let base = run_dir_name("p");
    fs::create_dir(parent.path().join(&base)).unwrap();
    fs::create_dir(parent.path().join(format!("{base}-1"))).unwrap();
    let dir = create_run_dir(parent.path(), "p").unwrap();
    assert!(fs::read_dir(&dir).unwrap().next().is_none());
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    // Within the same second the next free suffix; a second later a new stamp.
    if name.starts_with(&base) {
        assert_eq!(name, format!("{base}-2"));
    } else {
        assert!(name.ends_with("-p"), "{name}");
    }
    let fresh = tempfile::tempdir().unwrap();
    let first = create_run_dir(&fresh.path().join("deeper"), "q").unwrap();
    assert!(first.file_name().unwrap().to_string_lossy().ends_with("-q"));
}

#[test]
fn atomic_writes_replace_the_file_and_leave_no_temporary() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("summary.csv");
    write_atomic(&p, b"one").unwrap();
    write_atomic(&p, b"two").unwrap();
    assert_eq!(fs::read(&p).unwrap(), b"two");
    let names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["summary.csv"]);
    // A folder in the way: the error names the file, and no temporary file stays.
    let blocked = dir.path().join("blocked.csv");
    fs::create_dir(&blocked).unwrap();
    let e = write_atomic(&blocked, b"x").unwrap_err().to_string();
    assert!(e.starts_with(&blocked.display().to_string()), "{e}");
    assert!(!dir.path().join("blocked.csv.tmp").exists());
    let plain = dir.path().join("plain.csv");
    write_plain(&plain, b"three").unwrap();
    assert_eq!(fs::read(&plain).unwrap(), b"three");
}

#[test]
fn metrics_csv_lists_every_row_in_order() {
    use crate::metric::Metric;
    use crate::train::{Event, RunConfig};
    let mut r = RunRecord::new(RunConfig::default(), Default::default());
    let ids: Vec<_> = r.jobs.iter().map(|j| j.id).collect();
    for (k, id) in ids.iter().enumerate() {
        r.apply(&Event::Metrics {
            id: *id,
            step: 5,
            epoch: 0.5,
            values: vec![(Metric::TrainLoss, 1.5 + k as f64), (Metric::ValAcc, 0.25)],
        });
    }
    let seed = r.config.seed;
    let want = format!(
        "variant,seed,step,epoch,metric,value,point\n\
         plain,{seed},5,0.5,train_loss,1.5,0\nplain,{seed},5,0.5,val_acc,0.25,0\n\
         bn,{seed},5,0.5,train_loss,2.5,0\nbn,{seed},5,0.5,val_acc,0.25,0\n"
    );
    assert_eq!(String::from_utf8(metrics_csv(&r)).unwrap(), want);
}

#[test]
fn private_folders_are_made_for_this_user_only() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let d = parent.path().join("mine");
    private_dir(&d).unwrap();
    assert_eq!(
        fs::metadata(&d).unwrap().permissions().mode() & 0o777,
        0o700
    );
    // Already there and ours: fine.
    private_dir(&d).unwrap();
    let file = parent.path().join("file");
    fs::write(&file, "x").unwrap();
    let e = private_dir(&file).unwrap_err().to_string();
    assert!(e.ends_with("exists and is not a folder"), "{e}");
    let link = parent.path().join("link");
    std::os::unix::fs::symlink(&d, &link).unwrap();
    assert!(private_dir(&link).is_err());
    assert!(private_dir(&parent.path().join("no/such")).is_err());
    let name = user_name();
    assert!(!name.is_empty() && !name.starts_with('.'));
    assert!(
        name.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)),
        "{name}"
    );
}
