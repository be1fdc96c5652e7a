//! Size limits for the files of a run folder, and a reader that enforces them while it streams.
//!
//! A run folder comes from anywhere (a colleague, an old version, a damaged disk), and one
//! whose `metrics.csv` is a link to `/dev/zero` must end in a message, not an allocation abort.
//! The limits sit far above what bnlab writes (a 20-minute soak writes a 9 MB `metrics.csv`;
//! the record is thinned so that no run writes much more) and low enough that a run loaded
//! from a file at the limit stays near the memory of a training run on full MNIST.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

/// The most bytes bnlab reads from a `metrics.csv`.
pub const METRICS_MAX: u64 = 64 << 20;
/// The most bytes bnlab reads from a `summary.csv` or `timing.csv`.
pub const TABLE_MAX: u64 = 16 << 20;
/// The most bytes bnlab reads from a `config.json` (bnlab writes about 2 kB).
pub const CONFIG_MAX: u64 = 1 << 20;
/// The longest line bnlab reads from any run file, so one endless record cannot grow unbounded.
pub const LINE_MAX: u64 = 1 << 20;

/// Why a run file was refused before or while reading it.
fn refusal(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

pub fn mib(bytes: u64) -> String {
    format!("{} MiB", bytes >> 20)
}

/// Opens a run file for streaming: it must be a regular file (not a device, FIFO or folder,
/// which could be endless or block) no larger than `max`. Reading past `max` bytes, or a line
/// longer than [`LINE_MAX`], fails with an error that says which limit was hit.
pub fn open(path: &Path, max: u64) -> std::io::Result<Limited<BufReader<File>>> {
    let meta = std::fs::metadata(path)?;
    if !meta.is_file() {
        return Err(refusal(if meta.is_dir() {
            "is a folder, not a file".into()
        } else {
            "is not a regular file (a device, FIFO or socket); bnlab reads run files only from regular files".into()
        }));
    }
    if meta.len() > max {
        return Err(refusal(format!(
            "{} bytes, larger than the {} bnlab reads from this file",
            meta.len(),
            mib(max)
        )));
    }
    Ok(Limited {
        inner: BufReader::new(File::open(path)?),
        left: max,
        max,
        line: 0,
    })
}

fn too_large(max: u64) -> std::io::Error {
    refusal(format!(
        "grew past the {} bnlab reads from this file while it was read",
        mib(max)
    ))
}

/// Reads a whole (small) run file, within `max` bytes.
pub fn read(path: &Path, max: u64) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::new();
    open(path, max)?.read_to_end(&mut out)?;
    Ok(out)
}

/// A reader that fails once it has yielded `max` bytes or a line longer than [`LINE_MAX`].
pub struct Limited<R> {
    inner: R,
    left: u64,
    max: u64,
    /// Bytes since the last newline.
    line: u64,
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            // Only an error if there is more: a file of exactly `max` bytes is fine.
            let mut probe = [0u8; 1];
            return match self.inner.read(&mut probe)? {
                0 => Ok(0),
                _ => Err(too_large(self.max)),
            };
        }
        let want = buf.len().min(self.left.min(usize::MAX as u64) as usize);
        let n = self.inner.read(&mut buf[..want])?;
        self.left -= n as u64;
        for &b in &buf[..n] {
            self.line = if b == b'\n' { 0 } else { self.line + 1 };
            if self.line > LINE_MAX {
                return Err(refusal(format!(
                    "a line longer than {}, which no run file bnlab writes has",
                    mib(LINE_MAX)
                )));
            }
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_folders_are_refused_before_reading() {
        let e = open(Path::new("/dev/zero"), METRICS_MAX).err().unwrap();
        assert!(e.to_string().contains("not a regular file"), "{e}");
        let e = open(Path::new("/"), METRICS_MAX).err().unwrap();
        assert!(e.to_string().contains("folder"), "{e}");
    }

    #[test]
    fn files_above_the_limit_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("metrics.csv");
        std::fs::write(&p, vec![b'a'; 100]).unwrap();
        assert_eq!(read(&p, 100).unwrap().len(), 100);
        let e = read(&p, 99).unwrap_err();
        assert!(
            e.to_string().contains("100 bytes, larger than the 0 MiB"),
            "{e}"
        );
        // A file that grows after the size check is still cut at the limit.
        let mut r = Limited {
            inner: &[b'\n'; 10][..],
            left: 5,
            max: 5,
            line: 0,
        };
        let mut out = Vec::new();
        assert!(r.read_to_end(&mut out).is_err());
    }

    #[test]
    fn endless_lines_are_refused() {
        let mut r = Limited {
            inner: std::io::repeat(b'0').take(LINE_MAX + 10),
            left: u64::MAX,
            max: u64::MAX,
            line: 0,
        };
        let e = std::io::copy(&mut r, &mut std::io::sink()).unwrap_err();
        assert!(e.to_string().contains("a line longer than 1 MiB"), "{e}");
    }
}
