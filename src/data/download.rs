//! One transfer of one file: bounded in size by what the file is known to be, in time by a
//! deadline and a stall timeout, stoppable within a fraction of a second, and written to a
//! temporary file created exclusively inside the target folder, removed on every way out.
//!
//! The network is read on a helper thread so that the loop here can watch the clock and the
//! cancel flag while a read blocks; when the loop gives up, the thread ends at its next read.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use super::checksums::{self, FileSpec};
use super::fetch_types::{FetchError, FetchOptions, Stage};

/// Why one attempt failed, and what to do next.
pub(super) enum Attempt {
    /// The transfer broke off, stalled or the server had a hiccup (5xx): same mirror again.
    Retry(String),
    /// This mirror cannot serve the file (404, unreachable, wrong content, too big): next mirror.
    NextMirror(String),
    /// Nothing another try could fix (cannot write the target, cancelled, out of time).
    Fatal(FetchError),
}

pub(super) type Report<'a> = &'a dyn Fn(u64, Option<u64>, Stage);

/// A transfer that brings fewer bytes than this in one stall window counts as stalled.
pub const STALL_MIN_BYTES: u64 = 16 * 1024;

/// The most bytes accepted for a file: its decompressed size (a server may decode the gzip on
/// the way) plus a margin for the gzip framing of small files.
pub fn size_cap(file: &FileSpec) -> u64 {
    file.bytes + file.bytes / 8 + 64 * 1024
}

fn classify(e: ureq::Error) -> Attempt {
    match e {
        ureq::Error::StatusCode(code) if (500..600).contains(&code) => {
            Attempt::Retry(format!("HTTP {code}"))
        }
        ureq::Error::StatusCode(code) => Attempt::NextMirror(format!("HTTP {code}")),
        ureq::Error::HostNotFound => Attempt::NextMirror("host not found (offline?)".into()),
        ureq::Error::ConnectionFailed => Attempt::NextMirror("connection failed".into()),
        ureq::Error::BadUri(u) => Attempt::NextMirror(format!("bad URL {u}")),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            Attempt::NextMirror(format!("connection refused ({io})"))
        }
        other => Attempt::Retry(other.to_string()),
    }
}

/// What the network thread hands over.
enum Msg {
    Head(Option<u64>),
    Data(Vec<u8>),
    End,
    Fail(Attempt),
}

fn start_transfer(agent: &ureq::Agent, url: &str) -> Receiver<Msg> {
    let (tx, rx) = sync_channel(8);
    let (agent, url) = (agent.clone(), url.to_owned());
    std::thread::spawn(move || {
        let response = match agent.get(&url).call() {
            Ok(r) => r,
            Err(e) => {
                let _ = tx.send(Msg::Fail(classify(e)));
                return;
            }
        };
        if tx
            .send(Msg::Head(response.body().content_length()))
            .is_err()
        {
            return;
        }
        let mut body = response.into_body().into_reader();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let msg = match body.read(&mut buf) {
                Ok(0) => Msg::End,
                Ok(n) => Msg::Data(buf[..n].to_vec()),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => Msg::Fail(Attempt::Retry(format!("transfer broke off: {e}"))),
            };
            let last = !matches!(msg, Msg::Data(_));
            // A closed channel: the loop gave up (cancelled, too big, out of time).
            if tx.send(msg).is_err() || last {
                return;
            }
        }
    });
    rx
}

/// Sleeps `d`, waking early (false) when cancelled or out of time.
pub(super) fn pause(d: Duration, opts: &FetchOptions, until: Instant) -> bool {
    let end = Instant::now() + d;
    while Instant::now() < end {
        if cancelled(opts) || Instant::now() >= until {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(end - Instant::now()));
    }
    true
}

pub(super) fn cancelled(opts: &FetchOptions) -> bool {
    opts.cancel
        .as_ref()
        .is_some_and(|c| c.load(Ordering::Relaxed))
}

/// Downloads `url` into `dir` and installs it under the file's name once its decompressed
/// SHA-256 matches; returns the installed path.
pub(super) fn download_once(
    agent: &ureq::Agent,
    url: &str,
    file: &FileSpec,
    dir: &Path,
    opts: &FetchOptions,
    until: Instant,
    report: Report,
) -> Result<PathBuf, Attempt> {
    let target_err = |source| {
        Attempt::Fatal(FetchError::Target {
            dir: dir.to_owned(),
            source,
        })
    };
    // Created before the request, so an unwritable folder fails before any network traffic;
    // with a random name and O_EXCL, so no link placed in the folder is ever followed. Its
    // guard removes it on every way out but the final rename.
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{}.", file.name))
        .suffix(".download")
        .tempfile_in(dir)
        .map_err(target_err)?;
    let cap = size_cap(file);
    let rx = start_transfer(agent, url);
    let (mut done, mut shown, mut total) = (0u64, 0u64, None);
    let mut head = Vec::with_capacity(2);
    let (mut window, mut window_done) = (Instant::now(), 0u64);
    let mut last_report = Instant::now();
    loop {
        if cancelled(opts) {
            return Err(Attempt::Fatal(FetchError::Cancelled));
        }
        if Instant::now() >= until {
            return Err(Attempt::Fatal(FetchError::Deadline(opts.deadline)));
        }
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(Msg::Head(t)) => {
                if let Some(t) = t.filter(|&t| t > cap) {
                    return Err(Attempt::NextMirror(format!(
                        "announces {t} bytes, more than the {cap} this file can take"
                    )));
                }
                total = t;
            }
            Ok(Msg::Data(d)) => {
                done += d.len() as u64;
                if done > cap {
                    return Err(Attempt::NextMirror(format!(
                        "sent more than the {cap} bytes this file can take"
                    )));
                }
                if head.len() < 2 {
                    head.extend_from_slice(&d[..d.len().min(2 - head.len())]);
                }
                tmp.write_all(&d).map_err(target_err)?;
            }
            Ok(Msg::End) => break,
            Ok(Msg::Fail(a)) => return Err(a),
            Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => {
                return Err(Attempt::Retry("transfer ended without a reason".into()))
            }
        }
        if window.elapsed() >= opts.stall_timeout {
            if done - window_done < STALL_MIN_BYTES {
                return Err(Attempt::Retry(format!(
                    "stalled: {} bytes in {} s",
                    done - window_done,
                    opts.stall_timeout.as_secs()
                )));
            }
            (window, window_done) = (Instant::now(), done);
        }
        // Every 256 KiB, and at least once a second so a slow transfer still shows life.
        if done - shown >= 256 * 1024 || last_report.elapsed() >= Duration::from_secs(1) {
            (shown, last_report) = (done, Instant::now());
            report(done, total, Stage::Downloading);
        }
    }
    if total.is_some_and(|t| done < t) {
        return Err(Attempt::Retry(format!(
            "transfer broke off after {done} of {} bytes",
            total.unwrap_or(0)
        )));
    }
    report(done, total, Stage::Downloading);
    tmp.as_file().sync_all().map_err(target_err)?;
    report(done, total, Stage::Verifying);
    // A server may have decoded a gzip Content-Encoding on the way: keep the form that arrived.
    let gz = checksums::is_gzip(&head);
    let verify = || -> std::io::Result<(String, u64)> {
        let f = std::io::BufReader::new(tmp.reopen()?);
        // One byte more than the published size is enough to know it is not the file.
        let limit = file.bytes + 1;
        if gz {
            checksums::digest_reader(flate2::read::GzDecoder::new(f).take(limit))
        } else {
            checksums::digest_reader(f.take(limit))
        }
    };
    let (sha, bytes) = verify().map_err(|e| {
        // A gzip stream that ends early is a cut transfer; anything else is bad content.
        if e.kind() == std::io::ErrorKind::UnexpectedEof {
            Attempt::Retry(format!("downloaded file is cut short ({e})"))
        } else {
            Attempt::NextMirror(format!("downloaded file is not valid gzip ({e})"))
        }
    })?;
    if sha != file.sha256 {
        return Err(Attempt::NextMirror(format!(
            "SHA-256 mismatch: got {sha} ({bytes} bytes decompressed), expected {}",
            file.sha256
        )));
    }
    let (name, other) = if gz {
        (format!("{}.gz", file.name), file.name.clone())
    } else {
        (file.name.clone(), format!("{}.gz", file.name))
    };
    let dest = dir.join(name);
    // A rename replaces whatever is at `dest`, a link included, without following it.
    tmp.persist(&dest).map_err(|e| target_err(e.error))?;
    // An older copy in the other form would shadow or confuse the new one.
    let _ = std::fs::remove_file(dir.join(other));
    Ok(dest)
}
