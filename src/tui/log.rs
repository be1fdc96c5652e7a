//! The UI's log: `log` records of this crate, appended to a file with a timestamp (never
//! to stdout or stderr while the UI owns the terminal).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Mutex;

use crate::data::source;

struct FileSink {
    file: Mutex<File>,
}

impl log::Log for FileSink {
    fn enabled(&self, m: &log::Metadata) -> bool {
        // Only this crate's records: the libraries' chatter would bury them.
        m.target().starts_with(env!("CARGO_CRATE_NAME"))
    }

    fn log(&self, r: &log::Record) {
        if !self.enabled(r.metadata()) {
            return;
        }
        if let Ok(mut f) = self.file.lock() {
            let now = chrono::Local::now().format("%H:%M:%S%.3f");
            let _ = writeln!(f, "{now} {}", r.args());
        }
    }

    fn flush(&self) {
        if let Ok(mut f) = self.file.lock() {
            let _ = f.flush();
        }
    }
}

/// Sends this crate's log records to the first file that can be opened: `BNLAB_LOG`, the
/// cache folder's `bnlab.log`, the temporary folder's. Returns its path.
pub(crate) fn open() -> Option<PathBuf> {
    let candidates = [
        std::env::var_os("BNLAB_LOG").map(PathBuf::from),
        source::cache_root().map(|d| d.join("bnlab.log")),
        Some(std::env::temp_dir().join("bnlab.log")),
    ];
    for p in candidates.into_iter().flatten() {
        if let Some(parent) = p.parent() {
            let _ = std::fs::create_dir_all(parent);
        }
        if let Ok(file) = OpenOptions::new().create(true).append(true).open(&p) {
            let sink = FileSink {
                file: Mutex::new(file),
            };
            // A second UI in the same process keeps the first sink.
            if log::set_boxed_logger(Box::new(sink)).is_ok() {
                log::set_max_level(log::LevelFilter::Info);
            }
            return Some(p);
        }
    }
    None
}
