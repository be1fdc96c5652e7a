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

#[test]
fn a_name_the_file_system_refuses_is_an_error_naming_that_folder_not_a_retry() {
    // 300 bytes is over every Linux file system's 255-byte limit for one name: `create_dir`
    // fails with ENAMETOOLONG, which another suffix cannot cure.
    let parent = tempfile::tempdir().unwrap();
    let preset = "x".repeat(300);
    let e = create_run_dir(parent.path(), &preset).unwrap_err();
    let RunError::Io { path, cause } = &e else {
        panic!("{e}")
    };
    assert_eq!(path.parent(), Some(parent.path()), "{e}");
    let name = path.file_name().unwrap().to_string_lossy();
    assert!(name.ends_with(&format!("-{preset}")), "{e}");
    // The OS's own error, not "too many runs with the same name" after 1000 attempts.
    assert!(cause.raw_os_error().is_some(), "{e}");
    assert!(!e.to_string().contains("too many runs"), "{e}");
    // save_new stops there and leaves nothing behind (no staging folder either).
    let mut r = RunRecord::new(crate::train::RunConfig::default(), Default::default());
    r.config.preset = preset;
    let e = save_new(&r, parent.path(), &[]).unwrap_err();
    assert!(
        matches!(&e, RunError::Io { path: p, .. } if p.parent() == Some(parent.path())),
        "{e}"
    );
    assert!(fs::read_dir(parent.path()).unwrap().next().is_none());
}

/// A record of one seed with a finished and a diverged trainer, rows and timings.
fn finished_record() -> RunRecord {
    use crate::metric::Metric;
    use crate::train::{Event, RunConfig, Status};
    let mut r = RunRecord::new(RunConfig::default(), Default::default());
    let ids: Vec<_> = r.jobs.iter().map(|j| j.id).collect();
    for (k, id) in ids.iter().enumerate() {
        r.apply(&Event::Metrics {
            id: *id,
            step: 10,
            epoch: 0.25,
            values: vec![(Metric::TrainLoss, 0.5 + k as f64)],
        });
        r.apply(&Event::Finished {
            id: *id,
            status: if k == 0 {
                Status::Finished
            } else {
                Status::Diverged
            },
            step: 10 + k as u64,
            message: None,
            elapsed_s: 1.25 + k as f64,
            samples_per_sec: 2000.0 / (k as f64 + 1.0),
        });
    }
    r
}

#[test]
fn save_writes_each_file_byte_for_byte_and_nothing_else() {
    let r = finished_record();
    let seed = r.config.seed;
    let dir = tempfile::tempdir().unwrap();
    let summary = vec![
        vec!["variant".to_string(), "note".into()],
        vec!["plain".into(), "a, quoted \"cell\"".into()],
        vec!["bn".into(), String::new()],
    ];
    save(&r, dir.path(), &summary).unwrap();
    let mut names: Vec<_> = fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["config.json", "metrics.csv", "summary.csv", "timing.csv"]
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(SUMMARY)).unwrap(),
        "variant,note\nplain,\"a, quoted \"\"cell\"\"\"\nbn,\n"
    );
    assert_eq!(
        fs::read_to_string(dir.path().join(TIMING)).unwrap(),
        format!(
            "variant,seed,point,status,steps,elapsed_s,samples_per_sec\n\
             plain,{seed},0,finished,10,1.25,2000.0\n\
             bn,{seed},0,diverged,11,2.25,1000.0\n"
        )
    );
    assert_eq!(fs::read(dir.path().join(METRICS)).unwrap(), metrics_csv(&r));
    let cfg: ConfigFile =
        serde_json::from_slice(&fs::read(dir.path().join(CONFIG)).unwrap()).unwrap();
    assert_eq!(cfg.config, r.config);
    assert_eq!(cfg.bnlab_version, env!("CARGO_PKG_VERSION"));
}

#[test]
fn save_new_renames_the_staged_folder_into_place_and_leaves_no_staging() {
    let r = finished_record();
    let parent = tempfile::tempdir().unwrap();
    let dir = save_new(&r, parent.path(), &[vec!["variant".into()]]).unwrap();
    assert_eq!(dir.parent(), Some(parent.path()));
    let name = dir.file_name().unwrap().to_string_lossy().into_owned();
    assert!(name.ends_with(&format!("-{}", r.config.preset)), "{name}");
    // Only the run folder: the hidden `.bnlab-saving-*` folder was renamed, not copied.
    let entries: Vec<_> = fs::read_dir(parent.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(entries, std::slice::from_ref(&dir));
    assert_eq!(fs::read(dir.join(METRICS)).unwrap(), metrics_csv(&r));
    assert_eq!(fs::read_to_string(dir.join(SUMMARY)).unwrap(), "variant\n");
    assert!(fs::read_to_string(dir.join(TIMING))
        .unwrap()
        .ends_with(",diverged,11,2.25,1000.0\n"));
}

#[test]
fn a_link_or_a_folder_of_another_user_is_refused_by_name() {
    let parent = tempfile::tempdir().unwrap();
    let mine = parent.path().join("mine");
    private_dir(&mine).unwrap();
    let link = parent.path().join("link");
    std::os::unix::fs::symlink(&mine, &link).unwrap();
    let e = private_dir(&link).unwrap_err().to_string();
    assert_eq!(e, format!("{} exists and is not a folder", link.display()));
    let theirs = parent.path().join("theirs");
    fs::create_dir(&theirs).unwrap();
    // Only root may give a folder away; as another user the folder stays ours, and fine.
    match std::os::unix::fs::chown(&theirs, Some(own_uid().wrapping_add(1)), None) {
        Ok(()) => {
            let e = private_dir(&theirs).unwrap_err().to_string();
            assert_eq!(e, format!("{} belongs to another user", theirs.display()));
        }
        Err(_) => {
            assert_ne!(effective_uid(), 0);
            private_dir(&theirs).unwrap();
        }
    }
}

/// The effective uid as the kernel reports it in /proc/self/status (`Uid: real effective …`),
/// read independently of `own_uid`.
fn effective_uid() -> u32 {
    let status = fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("Uid:")).unwrap();
    line.split_whitespace().nth(2).unwrap().parse().unwrap()
}

const CHILD: &str = "runs::save::more_tests::print_user_name_for_a_parent_test";

/// `user_name()` of this test binary run again with `USER`/`LOGNAME` as given (None: unset),
/// as the unprivileged user 65534 when `as_nobody`: a test thread cannot set variables of its
/// own process safely while other tests read them.
fn user_name_in_child(user: Option<&str>, logname: Option<&str>, as_nobody: bool) -> String {
    let exe = std::env::current_exe().unwrap();
    // User 65534 must reach the binary even when the checkout is in a private folder. A hard
    // link opens no file for writing: a copy could be held open by a child another test
    // thread is forking, and exec would fail with "text file busy".
    let reachable = tempfile::tempdir().unwrap();
    let mut cmd = if as_nobody {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(reachable.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let linked = reachable.path().join("unit-tests");
        fs::hard_link(&exe, &linked).unwrap();
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&linked);
        c
    } else {
        std::process::Command::new(&exe)
    };
    cmd.args([
        "--ignored",
        "--exact",
        CHILD,
        "--nocapture",
        "--test-threads=1",
    ])
    .env_remove("USER")
    .env_remove("LOGNAME");
    if let Some(u) = user {
        cmd.env("USER", u);
    }
    if let Some(l) = logname {
        cmd.env("LOGNAME", l);
    }
    let out = cmd.output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
        .lines()
        // The harness prints the test's name on the same line, before its output.
        .find_map(|l| l.split_once("USER_NAME=").map(|(_, name)| name))
        .unwrap_or_else(|| panic!("no USER_NAME line in {stdout}"))
        .to_string()
}

#[test]
#[ignore = "run by user_name_follows_user_then_logname_then_the_uid in a child process"]
fn print_user_name_for_a_parent_test() {
    println!("USER_NAME={}", user_name());
}

#[test]
fn user_name_follows_user_then_logname_then_the_uid() {
    let uid = format!("uid{}", effective_uid());
    // Unsafe characters dropped, the safe ones kept in order.
    assert_eq!(
        user_name_in_child(Some("a b/c.d_e-F9"), Some("other"), false),
        "abc.d_e-F9"
    );
    assert_eq!(user_name_in_child(None, Some("lo.g"), false), "lo.g");
    // Nothing safe left, or a hidden name: the uid instead.
    assert_eq!(user_name_in_child(Some("/ \u{e9}"), None, false), uid);
    assert_eq!(user_name_in_child(Some(".hidden"), None, false), uid);
    assert_eq!(user_name_in_child(None, None, false), uid);
    // The uid is the process's own, not root's: checked as another user when we are root.
    if effective_uid() == 0 {
        assert_eq!(user_name_in_child(None, None, true), "uid65534");
    }
}

#[test]
fn a_folder_that_cannot_be_made_reports_why_it_could_not() {
    // sysfs refuses new folders at its top (EPERM, or EROFS when mounted read-only) even to
    // root; a look at the path afterwards would only say "not found", hiding the reason.
    let e = private_dir(Path::new("/sys/bnlab-cannot-make-this")).unwrap_err();
    assert_ne!(e.kind(), std::io::ErrorKind::NotFound, "{e}");
    assert!(e.raw_os_error().is_some(), "{e}");
}
