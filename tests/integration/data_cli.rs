//! `bnlab data ...` as a user runs it: the real binary, real MNIST checksums, files served
//! from the shared full-MNIST folder over a loopback server (see `support::prereq` for when
//! that folder is missing).

use crate::support::http;
use crate::support::prereq::{debian_fashion_mnist, shared_mnist};

use std::path::Path;
use std::process::{Command, Output};

use bnlab::data::checksums::{self, FileState};
use bnlab::data::DatasetName;

/// The binary with a private cache and no data folder from the caller's environment.
fn bnlab(cache: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_bnlab"));
    c.env("XDG_CACHE_HOME", cache)
        .env("HOME", cache)
        .env_remove("BNLAB_DATA_DIR");
    c
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn published_mnist_checksums_match_the_shared_copy() {
    let Some(dir) = shared_mnist() else {
        return;
    };
    let spec = checksums::known(DatasetName::Mnist).unwrap();
    for c in checksums::check_dir(&dir, &spec) {
        assert_eq!(c.state, FileState::Verified, "{}", c.describe());
    }
}

#[test]
fn fetch_from_loopback_mirror_installs_full_mnist_in_the_cache() {
    let Some(src) = shared_mnist() else {
        return;
    };
    let server = http::serve(move |p, _| {
        if p.starts_with("/gone/") {
            http::Reply::Status(404)
        } else {
            http::file_reply(&src, p)
        }
    });
    let cache = tempfile::tempdir().unwrap();
    let out = bnlab(cache.path())
        .args(["data", "fetch", "mnist", "--mirror"])
        .arg(server.url("gone/"))
        .arg("--mirror")
        .arg(server.url("mnist/"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    let installed = cache.path().join("bnlab/mnist");
    assert!(
        text(&out).contains("giving up on this mirror"),
        "{}",
        text(&out)
    );
    assert!(installed.join("train-images-idx3-ubyte.gz").is_file());
    eprintln!("{}", text(&out));

    // `data list` finds it through the default cache and verifies it.
    let out = bnlab(cache.path()).args(["data", "list"]).output().unwrap();
    let listing = text(&out);
    assert!(out.status.success(), "{listing}");
    let line = listing.lines().find(|l| l.starts_with("mnist ")).unwrap();
    assert!(
        line.contains("verified") && line.contains("(cache)"),
        "{listing}"
    );

    let out = bnlab(cache.path())
        .args(["data", "verify", "mnist"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));

    // One flipped byte inside the gzip stream: verify must now fail with exit 1, naming the file.
    let labels = installed.join("t10k-labels-idx1-ubyte.gz");
    let mut raw = bnlab::data::idx_read::read_data_file(&labels).unwrap();
    raw[20] = (raw[20] + 1) % 10;
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut enc, &raw).unwrap();
    std::fs::write(&labels, enc.finish().unwrap()).unwrap();
    let out = bnlab(cache.path())
        .args(["data", "verify", "mnist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("t10k-labels-idx1-ubyte.gz"),
        "{}",
        text(&out)
    );

    // A new fetch replaces only the bad file.
    let hits_before = server.hits().len();
    let out = bnlab(cache.path())
        .args(["data", "fetch", "mnist", "--mirror"])
        .arg(server.url("mnist/"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(server.hits().len(), hits_before + 1);
}

#[test]
fn data_dir_flag_is_honoured_by_list() {
    let Some(src) = shared_mnist() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    for dir in [src.clone(), src.parent().unwrap().to_owned()] {
        let out = bnlab(cache.path())
            .arg("--data-dir")
            .arg(&dir)
            .args(["data", "list"])
            .output()
            .unwrap();
        let listing = text(&out);
        let line = listing.lines().find(|l| l.starts_with("mnist ")).unwrap();
        assert!(
            line.contains("verified") && line.contains("--data-dir"),
            "{listing}"
        );
    }
    let out = bnlab(cache.path())
        .env("BNLAB_DATA_DIR", src.parent().unwrap())
        .args(["data", "list"])
        .output()
        .unwrap();
    let listing = text(&out);
    let line = listing.lines().find(|l| l.starts_with("mnist ")).unwrap();
    assert!(
        line.contains("verified") && line.contains("BNLAB_DATA_DIR"),
        "{listing}"
    );
}

#[test]
fn list_without_data_reports_missing_and_embedded() {
    let cache = tempfile::tempdir().unwrap();
    let out = bnlab(cache.path()).args(["data", "list"]).output().unwrap();
    let listing = text(&out);
    assert!(out.status.success(), "{listing}");
    let mnist = listing.lines().find(|l| l.starts_with("mnist ")).unwrap();
    assert!(
        mnist.contains("missing") && mnist.contains("bnlab data fetch mnist"),
        "{listing}"
    );
    let small = listing.lines().find(|l| l.starts_with("mnist-5k")).unwrap();
    assert!(
        small.contains("verified") && small.contains("embedded"),
        "{listing}"
    );
    // Asking for a missing dataset by name is a failure; asking about everything is not.
    let out = bnlab(cache.path())
        .args(["data", "verify", "mnist"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let out = bnlab(cache.path())
        .args(["data", "verify"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out));
}

#[test]
fn fetch_failure_exits_1_with_offline_advice_and_leaves_nothing() {
    let server = http::serve(|_, _| http::Reply::Status(404));
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("target");
    let out = bnlab(cache.path())
        .args(["data", "fetch", "fashion-mnist", "--dir"])
        .arg(&dir)
        .arg("--mirror")
        .arg(server.url("x/"))
        .output()
        .unwrap();
    let t = text(&out);
    assert_eq!(out.status.code(), Some(1), "{t}");
    assert!(
        t.contains("every mirror failed") && t.contains("HTTP 404"),
        "{t}"
    );
    assert!(
        t.contains("mnist-5k") && t.contains("bnlab data verify"),
        "{t}"
    );
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}

#[test]
fn bad_mirror_url_is_a_usage_error() {
    let cache = tempfile::tempdir().unwrap();
    let out = bnlab(cache.path())
        .args(["data", "fetch", "mnist", "--mirror", "ftp://example/"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(text(&out).contains("--mirror"), "{}", text(&out));
}

#[test]
fn unwritable_dir_exits_1_naming_it() {
    let cache = tempfile::tempdir().unwrap();
    let blocker = cache.path().join("file");
    std::fs::write(&blocker, b"").unwrap();
    let out = bnlab(cache.path())
        .args([
            "data",
            "fetch",
            "mnist",
            "--mirror",
            "http://127.0.0.1:9/",
            "--dir",
        ])
        .arg(blocker.join("sub"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("cannot write to"), "{}", text(&out));
}

#[test]
fn fashion_mnist_from_loopback_mirror_verifies_against_published_checksums() {
    let Some(src) = debian_fashion_mnist() else {
        return;
    };
    let spec = checksums::known(DatasetName::FashionMnist).unwrap();
    for c in checksums::check_dir(&src, &spec) {
        assert_eq!(c.state, FileState::Verified, "{}", c.describe());
    }
    let server = http::serve(move |p, _| http::file_reply(&src, p));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fashion");
    let got = bnlab::data::fetch::fetch_dataset(
        DatasetName::FashionMnist,
        Some(&dir),
        &[server.url("f/")],
        &|_| {},
    )
    .unwrap();
    assert_eq!(got, dir);
    let raw = bnlab::data::load(DatasetName::FashionMnist, Some(&dir)).unwrap();
    assert_eq!(raw.train.labels.len(), 60_000);
}

#[test]
fn fetch_refuses_to_overwrite_another_datasets_files() {
    let Some(src) = shared_mnist() else {
        return;
    };
    let cache = tempfile::tempdir().unwrap();
    let dir = cache.path().join("data");
    std::fs::create_dir(&dir).unwrap();
    for f in bnlab::data::source::STANDARD_FILES {
        let name = format!("{f}.gz");
        std::fs::copy(src.join(&name), dir.join(&name)).unwrap();
    }
    let server = http::serve(|_, _| http::Reply::Status(404));
    let out = bnlab(cache.path())
        .args(["data", "fetch", "fashion-mnist", "--dir"])
        .arg(&dir)
        .arg("--mirror")
        .arg(server.url("x/"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("holds the mnist files"),
        "{}",
        text(&out)
    );
    assert!(server.hits().is_empty());
    // With --data-dir instead, the download goes to a subfolder and leaves MNIST alone.
    let out = bnlab(cache.path())
        .arg("--data-dir")
        .arg(&dir)
        .args(["data", "fetch", "fashion-mnist", "--mirror"])
        .arg(server.url("x/"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains(&dir.join("fashion-mnist").display().to_string()),
        "{}",
        text(&out)
    );
    let spec = checksums::known(DatasetName::Mnist).unwrap();
    assert!(checksums::check_dir(&dir, &spec)
        .iter()
        .all(|c| c.state == FileState::Verified));
}

/// Whether this process runs as root, from the real uid in /proc/self/status.
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .and_then(|u| u.split_whitespace().next().map(|u| u == "0"))
        })
        .unwrap_or(false)
}

/// A read-only folder stops `bnlab data fetch` before any request. Root writes anyway, so
/// as root the binary runs as the unprivileged user 65534 (`setpriv`), which cannot.
#[cfg(unix)]
#[test]
fn read_only_target_folder_is_a_clear_error() {
    use std::os::unix::fs::PermissionsExt;
    let server = http::serve(|_, _| http::Reply::Status(404));
    let tmp = tempfile::tempdir().unwrap();
    // The other user must reach the binary and the folder, but not write in it.
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    // A hard link opens no file for writing; a copy can be briefly held open by a child that
    // another test thread is forking, and exec then fails with "text file busy".
    let bin = tmp.path().join("bnlab");
    if std::fs::hard_link(env!("CARGO_BIN_EXE_bnlab"), &bin).is_err() {
        std::fs::copy(env!("CARGO_BIN_EXE_bnlab"), &bin).unwrap();
    }
    let dir = tmp.path().join("ro");
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
    let mut cmd = if is_root() {
        let setpriv = std::process::Command::new("setpriv")
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success());
        if !crate::support::require("setpriv (util-linux), to drop root", setpriv) {
            return;
        }
        let mut c = std::process::Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&bin);
        c
    } else {
        std::process::Command::new(&bin)
    };
    cmd.args(["data", "fetch", "mnist", "--mirror"])
        .arg(server.url("m/"))
        .arg("--dir")
        .arg(&dir)
        .env_remove("BNLAB_DATA_DIR")
        .env("HOME", tmp.path())
        .env("XDG_CACHE_HOME", tmp.path().join("cache"));
    const TEXT_FILE_BUSY: i32 = 26;
    let out = (0..50)
        .find_map(|_| match cmd.output() {
            Err(e) if e.raw_os_error() == Some(TEXT_FILE_BUSY) => {
                std::thread::sleep(std::time::Duration::from_millis(20));
                None
            }
            r => Some(r.unwrap()),
        })
        .expect("the copied binary stayed busy");
    let text = text(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("cannot write to") && text.contains(&dir.display().to_string()),
        "{text}"
    );
    assert!(server.hits().is_empty());
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
}
