//! Known SHA-256 of each dataset's files, and checks of files on disk against them.
//!
//! Digests are of the *decompressed* IDX content: mirrors compress differently, so a
//! digest of the `.gz` would reject a perfectly good copy from another mirror.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;
use sha2::{Digest, Sha256};

use super::source::{find_file, DatasetName, STANDARD_FILES};

/// One file of a dataset: its standard name (without `.gz`), decompressed size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileSpec {
    pub name: String,
    pub bytes: u64,
    pub sha256: String,
}

/// The files that make up a dataset. Tests build their own with fixture digests;
/// the product uses [`known`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DatasetFiles {
    pub dataset: String,
    pub files: Vec<FileSpec>,
}

impl DatasetFiles {
    /// Sum of the decompressed sizes, for an overall progress fraction.
    pub fn total_bytes(&self) -> u64 {
        self.files.iter().map(|f| f.bytes).sum()
    }
}

fn spec(dataset: &str, files: [(&str, u64, &str); 4]) -> DatasetFiles {
    DatasetFiles {
        dataset: dataset.into(),
        files: files
            .iter()
            .map(|(name, bytes, sha)| FileSpec {
                name: (*name).into(),
                bytes: *bytes,
                sha256: (*sha).into(),
            })
            .collect(),
    }
}

/// The published files of a downloadable dataset (`None` for the embedded mnist-5k).
pub fn known(name: DatasetName) -> Option<DatasetFiles> {
    let [ti, tl, ei, el] = STANDARD_FILES;
    match name {
        DatasetName::Mnist => Some(spec(
            "mnist",
            [
                (
                    ti,
                    47_040_016,
                    "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db",
                ),
                (
                    tl,
                    60_008,
                    "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5",
                ),
                (
                    ei,
                    7_840_016,
                    "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7",
                ),
                (
                    el,
                    10_008,
                    "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2",
                ),
            ],
        )),
        // Same shapes as MNIST, so the same sizes.
        DatasetName::FashionMnist => Some(spec(
            "fashion-mnist",
            [
                (
                    ti,
                    47_040_016,
                    "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888",
                ),
                (
                    tl,
                    60_008,
                    "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9",
                ),
                (
                    ei,
                    7_840_016,
                    "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b",
                ),
                (
                    el,
                    10_008,
                    "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34",
                ),
            ],
        )),
        DatasetName::Mnist5k => None,
    }
}

/// The embedded digits' digests (decompressed), checked by `bnlab data list|verify`.
pub const MNIST5K_IMAGES_SHA256: &str =
    "a4a9358b9ba319305e7cd69b2c7410e463401e152d7e9e60189b94a3f159d012";
pub const MNIST5K_LABELS_SHA256: &str =
    "704256e87519240fd1d7ecdf681fe209864691e252c6642aeadc21f3c4d44b41";

/// A writer that only hashes and counts, so large files are checked without a copy in memory.
#[derive(Default)]
pub struct HashingSink {
    hasher: Sha256,
    pub bytes: u64,
}

impl Write for HashingSink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.hasher.update(buf);
        self.bytes += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl HashingSink {
    pub fn finish(self) -> (String, u64) {
        (hex(&self.hasher.finalize()), self.bytes)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// SHA-256 and length of what a reader yields.
pub fn digest_reader(mut r: impl Read) -> std::io::Result<(String, u64)> {
    let mut sink = HashingSink::default();
    std::io::copy(&mut r, &mut sink)?;
    Ok(sink.finish())
}

/// Whether bytes start like gzip; decides how a file is decompressed, whatever its name.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// SHA-256 and length of a file's decompressed content. Like the loader, a `.gz` name means
/// gzip, so "verified" always implies "loadable".
pub fn digest_file(path: &Path) -> std::io::Result<(String, u64)> {
    digest_file_upto(path, u64::MAX)
}

/// [`digest_file`] that stops after `limit` decompressed bytes, so that a gzip bomb costs
/// neither memory nor minutes: anything longer than the published size is a mismatch anyway.
/// A folder, FIFO or dangling link is an error (opening a FIFO would block).
pub fn digest_file_upto(path: &Path, limit: u64) -> std::io::Result<(String, u64)> {
    let f = super::idx_read::open_regular(path).map_err(|e| match e {
        super::idx::IdxError::NotAFile { what, .. } => {
            std::io::Error::other(format!("it is {what}"))
        }
        super::idx::IdxError::Io { cause, .. } => cause,
        other => std::io::Error::other(other.to_string()),
    })?;
    let f = std::io::BufReader::new(f);
    if path.extension().is_some_and(|e| e == "gz") {
        digest_reader(GzDecoder::new(f).take(limit))
    } else {
        digest_reader(f.take(limit))
    }
}

/// SHA-256 of in-memory gzip data once decompressed.
pub fn digest_gz_bytes(gz: &[u8]) -> std::io::Result<(String, u64)> {
    digest_reader(GzDecoder::new(gz))
}

/// The outcome of checking one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileState {
    Verified,
    Missing,
    /// Readable, but the content is not the published one.
    Mismatch {
        found: String,
        bytes: u64,
    },
    /// Could not be read or decompressed (truncated download, not gzip, permissions).
    Unreadable(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileCheck {
    pub name: String,
    /// The file found (`<name>.gz` or `<name>`), if any.
    pub path: Option<PathBuf>,
    /// Size on disk.
    pub disk_bytes: u64,
    pub state: FileState,
}

impl FileCheck {
    pub fn describe(&self) -> String {
        let shown = self
            .path
            .as_ref()
            .map_or_else(|| self.name.clone(), |p| p.display().to_string());
        match &self.state {
            FileState::Verified => format!("{shown}: verified"),
            FileState::Missing => format!("{}: missing", self.name),
            FileState::Mismatch { found, bytes } => format!(
                "{shown}: SHA-256 of the decompressed content is {found} ({bytes} bytes), not the published value"
            ),
            FileState::Unreadable(e) => format!("{shown}: cannot be read: {e}"),
        }
    }
}

/// Checks one file of a spec in `dir`.
pub fn check_file(dir: &Path, spec: &FileSpec) -> FileCheck {
    let Some(path) = find_file(dir, &spec.name) else {
        return FileCheck {
            name: spec.name.clone(),
            path: None,
            disk_bytes: 0,
            state: FileState::Missing,
        };
    };
    let disk_bytes = std::fs::metadata(&path).map_or(0, |m| m.len());
    let state = match digest_file_upto(&path, spec.bytes.saturating_add(1)) {
        Ok((sha, _)) if sha == spec.sha256 => FileState::Verified,
        Ok((found, bytes)) => FileState::Mismatch { found, bytes },
        Err(e) => FileState::Unreadable(e.to_string()),
    };
    FileCheck {
        name: spec.name.clone(),
        path: Some(path),
        disk_bytes,
        state,
    }
}

/// Checks every file of a spec in `dir`.
pub fn check_dir(dir: &Path, files: &DatasetFiles) -> Vec<FileCheck> {
    files.files.iter().map(|f| check_file(dir, f)).collect()
}

/// Why the embedded digits failed their check; each names the embedded file.
#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error("embedded {name}: {source}")]
    Unreadable {
        name: &'static str,
        source: std::io::Error,
    },
    #[error("embedded {name}: SHA-256 {found}, expected {expected} (the binary was built from altered assets)")]
    Altered {
        name: &'static str,
        found: String,
        expected: &'static str,
    },
}

/// Checks the embedded mnist-5k digits, returning their compressed size.
pub fn check_embedded() -> Result<u64, EmbeddedError> {
    let mut total = 0;
    for (name, gz, expected) in [
        (
            "mnist5k-images-idx3-ubyte",
            super::source::MNIST5K_IMAGES,
            MNIST5K_IMAGES_SHA256,
        ),
        (
            "mnist5k-labels-idx1-ubyte",
            super::source::MNIST5K_LABELS,
            MNIST5K_LABELS_SHA256,
        ),
    ] {
        let (found, _) =
            digest_gz_bytes(gz).map_err(|source| EmbeddedError::Unreadable { name, source })?;
        if found != expected {
            return Err(EmbeddedError::Altered {
                name,
                found,
                expected,
            });
        }
        total += gz.len() as u64;
    }
    Ok(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_of_known_bytes() {
        let (sha, n) = digest_reader(&b"abc"[..]).unwrap();
        assert_eq!(n, 3);
        assert_eq!(
            sha,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }

    #[test]
    fn embedded_digits_match_published_digests() {
        assert!(check_embedded().is_ok(), "{:?}", check_embedded());
    }

    #[test]
    fn gz_and_raw_files_hash_the_same_content() {
        let dir = tempfile::tempdir().unwrap();
        let content = b"hello idx".to_vec();
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        enc.write_all(&content).unwrap();
        std::fs::write(dir.path().join("a.gz"), enc.finish().unwrap()).unwrap();
        std::fs::write(dir.path().join("b"), &content).unwrap();
        assert_eq!(
            digest_file(&dir.path().join("a.gz")).unwrap(),
            digest_file(&dir.path().join("b")).unwrap()
        );
    }
}
