//! The download path against a loopback server: installs, rejections, retries, fail-over.
//! Fixtures are tiny valid IDX files with their own digests; no address but 127.0.0.1 is used.

use crate::support::http;

use std::io::Write;
use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bnlab::data::checksums::{check_dir, DatasetFiles, FileSpec, FileState};
use bnlab::data::fetch::{fetch_files, FetchError, FetchOptions, FetchProgress, Stage};
use bnlab::data::idx;
use bnlab::data::source::STANDARD_FILES;
use http::{serve, Reply};
use sha2::{Digest, Sha256};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(bytes).unwrap();
    enc.finish().unwrap()
}

struct Fixture {
    spec: DatasetFiles,
    /// `<name>.gz` → gzip bytes, in spec order.
    gz: Vec<(String, Vec<u8>)>,
}

impl Fixture {
    fn new() -> Self {
        let [ti, tl, ei, el] = STANDARD_FILES;
        let raw = [
            (
                ti,
                idx::encode(
                    &[3, 28, 28],
                    &(0..3 * 784).map(|i| i as u8).collect::<Vec<_>>(),
                ),
            ),
            (tl, idx::encode(&[3], &[1, 7, 9])),
            (ei, idx::encode(&[2, 28, 28], &vec![200u8; 2 * 784])),
            (el, idx::encode(&[2], &[0, 4])),
        ];
        let spec = DatasetFiles {
            dataset: "fixture".into(),
            files: raw
                .iter()
                .map(|(n, b)| FileSpec {
                    name: (*n).into(),
                    bytes: b.len() as u64,
                    sha256: format!("{:x}", Sha256::digest(b)),
                })
                .collect(),
        };
        let gz = raw
            .iter()
            .map(|(n, b)| (format!("{n}.gz"), gzip(b)))
            .collect();
        Self { spec, gz }
    }

    fn file(&self, path: &str) -> Option<Vec<u8>> {
        let name = path.rsplit('/').next()?;
        self.gz
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, b)| b.clone())
    }
}

fn opts(mirrors: Vec<String>) -> FetchOptions {
    let mut o = FetchOptions::new(mirrors);
    o.backoff = Duration::from_millis(10);
    o.read_timeout = Duration::from_secs(10);
    o
}

type Log = Arc<Mutex<Vec<FetchProgress>>>;

fn recorder() -> (Log, impl Fn(FetchProgress)) {
    let log: Log = Arc::default();
    let l = log.clone();
    (log, move |p| l.lock().unwrap().push(p))
}

/// Every entry of `dir`, to prove nothing partial or unverified was left behind.
fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn good_download_installs_and_verifies() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, _| f.file(p).map_or(Reply::Status(404), Reply::Body));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fixture");
    let (log, cb) = recorder();
    fetch_files(&fx.spec, &dir, &opts(vec![server.url("m/")]), &cb).unwrap();

    let mut want: Vec<String> = STANDARD_FILES.iter().map(|n| format!("{n}.gz")).collect();
    want.sort();
    assert_eq!(entries(&dir), want);
    assert!(check_dir(&dir, &fx.spec)
        .iter()
        .all(|c| c.state == FileState::Verified));
    let train =
        bnlab::data::idx_read::read_pair(&dir.join(&fx.gz[0].0), &dir.join(&fx.gz[1].0)).unwrap();
    assert_eq!(train.labels, vec![1, 7, 9]);

    let log = log.lock().unwrap();
    let installed = log
        .iter()
        .filter(|p| matches!(p.stage, Stage::Installed { .. }))
        .count();
    assert_eq!(installed, 4);
    for (i, (_, gz)) in fx.gz.iter().enumerate() {
        let last = log
            .iter()
            .rfind(|p| p.index == i && p.stage == Stage::Downloading)
            .expect("a byte count per file");
        assert_eq!(
            (last.done, last.total),
            (gz.len() as u64, Some(gz.len() as u64))
        );
    }
    assert_eq!(log.last().unwrap().overall, 1.0);
    assert!(log.windows(2).all(|w| w[0].overall <= w[1].overall));
    assert_eq!(server.hits().len(), 4);

    // A second fetch finds everything verified and downloads nothing.
    let (log2, cb2) = recorder();
    fetch_files(&fx.spec, &dir, &opts(vec![server.url("m/")]), &cb2).unwrap();
    assert_eq!(server.hits().len(), 4);
    assert!(log2
        .lock()
        .unwrap()
        .iter()
        .all(|p| matches!(p.stage, Stage::AlreadyPresent { .. })));
}

#[test]
fn corrupted_file_is_rejected_and_nothing_is_installed() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    // Valid gzip of altered content: only the SHA-256 can catch it.
    let server = serve(move |p, _| {
        let b = f.file(p).unwrap();
        if p.contains("train-images") {
            let mut raw = idx::gunzip(&b).unwrap();
            raw[100] ^= 0xff;
            Reply::Body(gzip(&raw))
        } else {
            Reply::Body(b)
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let (_, cb) = recorder();
    let err = fetch_files(&fx.spec, tmp.path(), &opts(vec![server.url("m/")]), &cb).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::AllMirrorsFailed { .. }), "{msg}");
    assert!(
        msg.contains("SHA-256 mismatch") && msg.contains("train-images"),
        "{msg}"
    );
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
    // A wrong digest is not a broken transfer: the same mirror is not asked again.
    assert_eq!(server.hits_under("m/"), 1);
}

#[test]
fn not_gzip_body_is_rejected() {
    let fx = Fixture::new();
    let server = serve(|_, _| Reply::Body(b"<html>not found</html>".to_vec()));
    let tmp = tempfile::tempdir().unwrap();
    let (_, cb) = recorder();
    let err = fetch_files(&fx.spec, tmp.path(), &opts(vec![server.url("m/")]), &cb).unwrap_err();
    assert!(err.to_string().contains("SHA-256 mismatch"), "{err}");
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
}

#[test]
fn cut_transfer_is_retried_then_fails_cleanly() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, _| Reply::Cut(f.file(p).unwrap()));
    let tmp = tempfile::tempdir().unwrap();
    let (log, cb) = recorder();
    let o = opts(vec![server.url("m/")]);
    let err = fetch_files(&fx.spec, tmp.path(), &o, &cb).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::AllMirrorsFailed { .. }), "{msg}");
    assert!(msg.contains("after 3 tries"), "{msg}");
    assert_eq!(server.hits().len(), o.attempts as usize);
    let retries = log
        .lock()
        .unwrap()
        .iter()
        .filter(|p| matches!(p.stage, Stage::Retrying { .. }))
        .count();
    assert_eq!(retries, o.attempts as usize - 1);
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
}

#[test]
fn cut_transfer_succeeds_on_retry() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, nth| {
        let b = f.file(p).unwrap();
        if nth == 0 {
            Reply::Cut(b)
        } else {
            Reply::Body(b)
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let (_, cb) = recorder();
    fetch_files(&fx.spec, tmp.path(), &opts(vec![server.url("m/")]), &cb).unwrap();
    assert_eq!(server.hits().len(), 8);
    assert_eq!(entries(tmp.path()).len(), 4);
}

#[test]
fn mirror_answering_404_falls_over_to_the_next() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, _| {
        if p.starts_with("/gone/") {
            Reply::Status(404)
        } else {
            f.file(p).map_or(Reply::Status(404), Reply::Body)
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let (log, cb) = recorder();
    let mirrors = vec![server.url("gone/"), server.url("good")];
    fetch_files(&fx.spec, tmp.path(), &opts(mirrors), &cb).unwrap();
    // 404 means "not here": one request per file, no retries on that mirror.
    assert_eq!(server.hits_under("gone/"), 4);
    assert_eq!(server.hits_under("good/"), 4);
    let failed = log
        .lock()
        .unwrap()
        .iter()
        .filter(
            |p| matches!(&p.stage, Stage::MirrorFailed { reason, .. } if reason.contains("404")),
        )
        .count();
    assert_eq!(failed, 4);
    assert!(check_dir(tmp.path(), &fx.spec)
        .iter()
        .all(|c| c.state == FileState::Verified));
}

#[test]
fn refused_connection_falls_over_without_retrying() {
    let fx = Arc::new(Fixture::new());
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let f = fx.clone();
    let server = serve(move |p, _| f.file(p).map_or(Reply::Status(404), Reply::Body));
    let tmp = tempfile::tempdir().unwrap();
    let (log, cb) = recorder();
    let mirrors = vec![format!("http://{closed}/"), server.url("m/")];
    fetch_files(&fx.spec, tmp.path(), &opts(mirrors), &cb).unwrap();
    assert!(!log
        .lock()
        .unwrap()
        .iter()
        .any(|p| matches!(p.stage, Stage::Retrying { .. })));
    assert_eq!(entries(tmp.path()).len(), 4);
}

#[test]
fn server_error_is_retried_on_the_same_mirror() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, nth| {
        if nth == 0 {
            Reply::Status(503)
        } else {
            Reply::Body(f.file(p).unwrap())
        }
    });
    let tmp = tempfile::tempdir().unwrap();
    let (_, cb) = recorder();
    fetch_files(&fx.spec, tmp.path(), &opts(vec![server.url("m/")]), &cb).unwrap();
    assert_eq!(server.hits().len(), 8);
}

#[test]
fn unwritable_target_folder_is_a_clear_error_before_any_request() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, _| f.file(p).map_or(Reply::Status(404), Reply::Body));
    let tmp = tempfile::tempdir().unwrap();
    // A folder below a plain file cannot be created, even by root.
    let blocker = tmp.path().join("plain-file");
    std::fs::write(&blocker, b"x").unwrap();
    let dir = blocker.join("mnist");
    let (_, cb) = recorder();
    let err = fetch_files(&fx.spec, &dir, &opts(vec![server.url("m/")]), &cb).unwrap_err();
    let msg = err.to_string();
    assert!(matches!(err, FetchError::Target { .. }), "{msg}");
    assert!(
        msg.contains(&dir.display().to_string()) && msg.contains("--dir"),
        "{msg}"
    );
    assert!(server.hits().is_empty());
}

#[test]
fn cancelled_download_leaves_nothing() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, _| f.file(p).map_or(Reply::Status(404), Reply::Body));
    let tmp = tempfile::tempdir().unwrap();
    let mut o = opts(vec![server.url("m/")]);
    o.cancel = Some(Arc::new(AtomicBool::new(true)));
    let (_, cb) = recorder();
    let err = fetch_files(&fx.spec, tmp.path(), &o, &cb).unwrap_err();
    assert!(matches!(err, FetchError::Cancelled), "{err}");
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
}

#[test]
fn unverified_old_copy_is_replaced() {
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, _| f.file(p).map_or(Reply::Status(404), Reply::Body));
    let tmp = tempfile::tempdir().unwrap();
    // A raw copy with wrong content would otherwise sit next to the new .gz.
    std::fs::write(tmp.path().join(STANDARD_FILES[1]), b"junk").unwrap();
    let (_, cb) = recorder();
    fetch_files(&fx.spec, tmp.path(), &opts(vec![server.url("m/")]), &cb).unwrap();
    assert!(!tmp.path().join(STANDARD_FILES[1]).exists());
    assert!(check_dir(tmp.path(), &fx.spec)
        .iter()
        .all(|c| c.state == FileState::Verified));
}

#[test]
fn content_that_arrives_decompressed_is_installed_raw() {
    // Some servers decode a gzip Content-Encoding on the way; the IDX bytes still verify.
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, _| Reply::Body(idx::gunzip(&f.file(p).unwrap()).unwrap()));
    let tmp = tempfile::tempdir().unwrap();
    let (_, cb) = recorder();
    fetch_files(&fx.spec, tmp.path(), &opts(vec![server.url("m/")]), &cb).unwrap();
    let mut want: Vec<String> = STANDARD_FILES.iter().map(|n| n.to_string()).collect();
    want.sort();
    assert_eq!(entries(tmp.path()), want);
}

#[test]
fn background_fetch_reports_progress_then_done() {
    use bnlab::data::fetch::{spawn_fetch_files, FetchUpdate};
    let fx = Arc::new(Fixture::new());
    let f = fx.clone();
    let server = serve(move |p, _| f.file(p).map_or(Reply::Status(404), Reply::Body));
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("bg");
    let h = spawn_fetch_files(fx.spec.clone(), dir.clone(), opts(vec![server.url("m/")]));
    let mut progress = 0;
    let done = loop {
        match h.updates.recv().unwrap() {
            FetchUpdate::Progress(_) => progress += 1,
            FetchUpdate::Done(r) => break r,
        }
    };
    assert_eq!(done.unwrap(), dir);
    assert!(progress >= 4 * 3, "{progress}");
    h.thread.join().unwrap();
}

#[test]
fn background_fetch_can_be_cancelled() {
    use bnlab::data::fetch::{spawn_fetch_files, FetchUpdate};
    let fx = Arc::new(Fixture::new());
    // The server waits for the test to cancel before answering, so the order is certain.
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let go_rx = Mutex::new(go_rx);
    let f = fx.clone();
    let server = serve(move |p, _| {
        let _ = go_rx.lock().unwrap().recv();
        Reply::Body(f.file(p).unwrap())
    });
    let tmp = tempfile::tempdir().unwrap();
    let h = spawn_fetch_files(
        fx.spec.clone(),
        tmp.path().into(),
        opts(vec![server.url("m/")]),
    );
    // Wait until the first request is on its way, then cancel and let the server answer.
    loop {
        if let FetchUpdate::Progress(p) = h.updates.recv().unwrap() {
            if matches!(p.stage, Stage::Connecting { .. }) {
                break;
            }
        }
    }
    h.cancel();
    go_tx.send(()).unwrap();
    let done = loop {
        if let FetchUpdate::Done(r) = h.updates.recv().unwrap() {
            break r;
        }
    };
    assert!(matches!(done, Err(FetchError::Cancelled)), "{done:?}");
    assert_eq!(entries(tmp.path()), Vec::<String>::new());
}
