//! Downloads bounded in size and time, stoppable at once, and never writing outside their
//! folder, against loopback servers that misbehave on the wire.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use bnlab::data::checksums::{DatasetFiles, FileSpec};
use bnlab::data::fetch::{fetch_files, FetchError, FetchOptions};
use sha2::{Digest, Sha256};

use super::rel_http::{endless, serve_raw, trickle};
use super::rel_support::{bnlab, entries, gzip, run, text};

/// One 1,000-byte file: the most any server may send for it is a little over 66 kB.
fn small_spec() -> (DatasetFiles, Vec<u8>) {
    let raw = bnlab::data::idx::encode(&[992], &[3u8; 992]);
    let spec = DatasetFiles {
        dataset: "limits".into(),
        files: vec![FileSpec {
            name: "train-labels-idx1-ubyte".into(),
            bytes: raw.len() as u64,
            sha256: format!("{:x}", Sha256::digest(&raw)),
        }],
    };
    (spec, raw)
}

fn opts(url: String) -> FetchOptions {
    let mut o = FetchOptions::new(vec![url]);
    o.attempts = 1;
    o.backoff = Duration::from_millis(10);
    o
}

fn fails_quickly(o: &FetchOptions, dir: &Path, within: Duration) -> FetchError {
    let (spec, _) = small_spec();
    let t = Instant::now();
    let e = fetch_files(&spec, dir, o, &|_| {}).unwrap_err();
    assert!(t.elapsed() < within, "took {:?}: {e}", t.elapsed());
    assert_eq!(entries(dir), Vec::<String>::new(), "{e}");
    e
}

#[test]
fn a_content_length_beyond_the_known_size_is_refused_before_the_body() {
    let server = serve_raw(|_, s| {
        endless(
            s,
            "HTTP/1.1 200 OK\r\nContent-Length: 1000000000000000\r\nConnection: close\r\n\r\n",
        )
    });
    let dir = tempfile::tempdir().unwrap();
    let e = fails_quickly(&opts(server.url("m/")), dir.path(), Duration::from_secs(5));
    assert!(
        e.to_string().contains("announces 1000000000000000 bytes"),
        "{e}"
    );
}

#[test]
fn a_body_without_a_length_is_cut_at_the_known_size() {
    let server = serve_raw(|_, s| endless(s, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"));
    let dir = tempfile::tempdir().unwrap();
    let e = fails_quickly(&opts(server.url("m/")), dir.path(), Duration::from_secs(5));
    assert!(
        e.to_string().contains("sent more than the 66661 bytes"),
        "{e}"
    );
}

#[test]
fn a_trickling_server_counts_as_stalled() {
    let server = serve_raw(|_, s| trickle(s, Duration::from_millis(200)));
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(server.url("m/"));
    o.stall_timeout = Duration::from_secs(1);
    let e = fails_quickly(&o, dir.path(), Duration::from_secs(5));
    assert!(e.to_string().contains("stalled"), "{e}");
}

#[test]
fn the_whole_download_has_a_deadline() {
    let server = serve_raw(|_, s| trickle(s, Duration::from_millis(100)));
    let dir = tempfile::tempdir().unwrap();
    let mut o = opts(server.url("m/"));
    o.deadline = Duration::from_secs(1);
    let e = fails_quickly(&o, dir.path(), Duration::from_secs(4));
    assert!(matches!(e, FetchError::Deadline(_)), "{e}");
}

#[test]
fn cancelling_stops_a_blocked_read_within_a_second() {
    // Headers, then silence: the read blocks for as long as the read timeout.
    let server = serve_raw(|_, s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n");
        std::thread::sleep(Duration::from_secs(30));
    });
    let dir = tempfile::tempdir().unwrap();
    let cancel = Arc::new(AtomicBool::new(false));
    let mut o = opts(server.url("m/"));
    o.cancel = Some(cancel.clone());
    let c = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(500));
        c.store(true, Ordering::Relaxed);
    });
    let e = fails_quickly(&o, dir.path(), Duration::from_millis(1500));
    assert!(matches!(e, FetchError::Cancelled), "{e}");
}

#[test]
fn a_link_where_the_temporary_file_used_to_go_is_not_followed() {
    let (spec, raw) = small_spec();
    let gz = gzip(&raw);
    let server = serve_raw(move |_, s| {
        let _ = write!(
            s,
            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            gz.len()
        );
        let _ = s.write_all(&gz);
    });
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("d");
    std::fs::create_dir(&dir).unwrap();
    let outside = root.path().join("outside");
    std::fs::write(&outside, b"precious").unwrap();
    std::os::unix::fs::symlink(&outside, dir.join(".train-labels-idx1-ubyte.download")).unwrap();
    fetch_files(&spec, &dir, &opts(server.url("m/")), &|_| {}).unwrap();
    assert_eq!(std::fs::read(&outside).unwrap(), b"precious");
    let installed = dir.join("train-labels-idx1-ubyte.gz");
    assert!(std::fs::symlink_metadata(&installed).unwrap().is_file());
    assert_eq!(
        entries(&dir),
        vec![
            ".train-labels-idx1-ubyte.download",
            "train-labels-idx1-ubyte.gz"
        ]
    );
}

/// `bnlab data fetch` from a trickling mirror, stopped by `sig` after a second.
fn fetch_stopped_by(sig: &str) -> (i32, String, Vec<String>, Duration) {
    let server = serve_raw(|_, s| trickle(s, Duration::from_millis(100)));
    let home = tempfile::tempdir().unwrap();
    let dir = home.path().join("d");
    let child = bnlab(home.path())
        .args([
            "data",
            "fetch",
            "mnist",
            "--dir",
            dir.to_str().unwrap(),
            "--mirror",
        ])
        .arg(server.url("m/"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let sent = Instant::now();
    std::process::Command::new("kill")
        .args([sig, &child.id().to_string()])
        .status()
        .unwrap();
    let o = child.wait_with_output().unwrap();
    let took = sent.elapsed();
    (o.status.code().unwrap_or(-1), text(&o), entries(&dir), took)
}

#[test]
fn ctrl_c_stops_a_fetch_at_once_and_leaves_nothing() {
    let (code, t, left, took) = fetch_stopped_by("-INT");
    assert_eq!(code, 130, "{t}");
    assert!(took < Duration::from_secs(1), "took {took:?}: {t}");
    assert!(!t.contains("try 2"), "{t}");
    assert!(t.contains("nothing partial was kept"), "{t}");
    assert_eq!(left, Vec::<String>::new(), "{t}");
}

#[test]
fn sigterm_stops_a_fetch_and_removes_its_temporary_file() {
    let (code, t, left, _) = fetch_stopped_by("-TERM");
    assert_eq!(code, 143, "{t}");
    assert_eq!(left, Vec::<String>::new(), "{t}");
}

#[test]
fn a_mirror_without_a_host_is_a_usage_error() {
    let home = tempfile::tempdir().unwrap();
    for m in ["http://", "https:///x/", "http://:80/"] {
        let (code, t) = run(home.path(), &["data", "fetch", "mnist", "--mirror", m]);
        assert_eq!(code, 2, "{m}: {t}");
        assert!(
            t.contains("--mirror") && t.contains("names no host"),
            "{m}: {t}"
        );
    }
}

#[test]
fn verify_with_a_data_dir_checks_only_the_dataset_it_holds() {
    let src = Path::new("/work/shared/data/mnist");
    if !src.join("train-labels-idx1-ubyte.gz").exists() {
        eprintln!("skipped: no shared MNIST folder");
        return;
    }
    let home = tempfile::tempdir().unwrap();
    let (code, t) = run(
        home.path(),
        &["--data-dir", src.to_str().unwrap(), "data", "verify"],
    );
    assert_eq!(code, 0, "{t}");
    assert!(t.contains("fashion-mnist  not here"), "{t}");
    assert!(!t.contains("NOT VERIFIED"), "{t}");
}
