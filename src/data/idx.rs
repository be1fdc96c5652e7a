//! Reader for the IDX format used by MNIST-style datasets (raw or gzip).
//!
//! Every check names the file, because a user pointing `--data-dir` at the wrong
//! folder needs to know which of the four files is the problem.

use std::io::Read;
use std::path::{Path, PathBuf};

use flate2::read::GzDecoder;

/// The most images (or labels) one file may hold.
pub const MAX_ITEMS: u32 = 120_000;
/// The only image side bnlab's networks take.
pub const SIDE: u32 = 28;

#[derive(Debug, thiserror::Error)]
pub enum IdxError {
    // `cause`, not `source`: the message already says why, and a `source` field would make
    // `{:#}` print the reason twice.
    #[error("{path}: cannot read: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: named .gz but is not valid gzip data ({cause})")]
    Gzip {
        path: PathBuf,
        cause: std::io::Error,
    },
    #[error("{path}: not an IDX file of unsigned bytes (magic number {found:#010x}, expected {expected:#010x})")]
    Magic {
        path: PathBuf,
        found: u32,
        expected: u32,
    },
    #[error("{path}: truncated: header says {expected} bytes of data, file has {found}")]
    Truncated {
        path: PathBuf,
        expected: usize,
        found: usize,
    },
    #[error("{path}: {}{found} trailing bytes after the {expected} bytes the header announces", if *.capped { "at least " } else { "" })]
    Trailing {
        path: PathBuf,
        expected: usize,
        found: usize,
        /// Counting stopped at a cap: there are at least `found`.
        capped: bool,
    },
    #[error("{path}: trailing garbage after gzip data ({found} bytes after the end of the compressed stream)")]
    GzipTrailing { path: PathBuf, found: u64 },
    #[error("{path}: header announces {found} {what}; bnlab reads at most {max} per file (twice MNIST's 60,000 training images)", max = MAX_ITEMS)]
    TooMany {
        path: PathBuf,
        found: u32,
        what: &'static str,
    },
    #[error("{path}: more than {limit} bytes once decompressed")]
    TooLarge { path: PathBuf, limit: u64 },
    #[error("{path}: is {what}, not an IDX data file")]
    NotAFile { path: PathBuf, what: String },
    #[error("{path}: file too short for an IDX header ({found} bytes)")]
    ShortHeader { path: PathBuf, found: usize },
    #[error("{path}: unexpected dimensions {dims:?} (expected {what})")]
    Dims {
        path: PathBuf,
        dims: Vec<u32>,
        what: &'static str,
    },
    #[error("{path}: label {label} at item {index} is not a digit class 0-9")]
    Label {
        path: PathBuf,
        index: usize,
        label: u8,
    },
    #[error("{images} holds {n_images} images but {labels} holds {n_labels} labels")]
    CountMismatch {
        images: PathBuf,
        labels: PathBuf,
        n_images: usize,
        n_labels: usize,
    },
}

/// A parsed IDX array of `u8` with its dimensions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdxArray {
    pub dims: Vec<u32>,
    pub data: Vec<u8>,
}

/// Gunzips trusted in-memory data (the embedded digits).
pub fn gunzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    GzDecoder::new(bytes).read_to_end(&mut out)?;
    Ok(out)
}

/// Parses IDX bytes holding unsigned bytes (type code 0x08) with `ndim` dimensions.
pub fn parse(bytes: &[u8], ndim: u8, path: &Path) -> Result<IdxArray, IdxError> {
    if bytes.len() < 4 {
        return Err(IdxError::ShortHeader {
            path: path.to_owned(),
            found: bytes.len(),
        });
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let expected = 0x0000_0800 | u32::from(ndim);
    if magic != expected {
        return Err(IdxError::Magic {
            path: path.to_owned(),
            found: magic,
            expected,
        });
    }
    let header = 4 + 4 * usize::from(ndim);
    if bytes.len() < header {
        return Err(IdxError::ShortHeader {
            path: path.to_owned(),
            found: bytes.len(),
        });
    }
    let dims: Vec<u32> = bytes[4..header]
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    let len = dims
        .iter()
        .try_fold(1usize, |acc, &d| acc.checked_mul(d as usize))
        .unwrap_or(usize::MAX);
    let body = bytes.len() - header;
    if body < len {
        return Err(IdxError::Truncated {
            path: path.to_owned(),
            expected: len,
            found: body,
        });
    }
    if body > len {
        return Err(IdxError::Trailing {
            path: path.to_owned(),
            expected: len,
            found: body - len,
            capped: false,
        });
    }
    Ok(IdxArray {
        dims,
        data: bytes[header..].to_vec(),
    })
}

/// Images and labels read from a pair of IDX files, checked against each other.
#[derive(Debug, Clone)]
pub struct LabelledImages {
    pub pixels: Vec<u8>,
    pub labels: Vec<u8>,
    pub rows: usize,
    pub cols: usize,
}

/// Parses an images/labels pair of IDX files already in memory.
pub fn parse_pair(
    images: &[u8],
    images_path: &Path,
    labels: &[u8],
    labels_path: &Path,
) -> Result<LabelledImages, IdxError> {
    let img = parse(images, 3, images_path)?;
    let lab = parse(labels, 1, labels_path)?;
    if img.dims[1] != 28 || img.dims[2] != 28 {
        return Err(IdxError::Dims {
            path: images_path.to_owned(),
            dims: img.dims,
            what: "N x 28 x 28 images",
        });
    }
    check_labels(images_path, img.dims[0] as usize, labels_path, &lab.data)?;
    Ok(LabelledImages {
        pixels: img.data,
        labels: lab.data,
        rows: 28,
        cols: 28,
    })
}

/// Checks labels against the images they belong to: as many, and each a class 0-9.
pub fn check_labels(
    images_path: &Path,
    n_images: usize,
    labels_path: &Path,
    labels: &[u8],
) -> Result<(), IdxError> {
    let n_labels = labels.len();
    if n_images != n_labels {
        return Err(IdxError::CountMismatch {
            images: images_path.to_owned(),
            labels: labels_path.to_owned(),
            n_images,
            n_labels,
        });
    }
    if let Some((index, &label)) = labels.iter().enumerate().find(|(_, &l)| l > 9) {
        return Err(IdxError::Label {
            path: labels_path.to_owned(),
            index,
            label,
        });
    }
    Ok(())
}

/// Encodes an IDX array; used by tests and by tools that write subsets.
pub fn encode(dims: &[u32], data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 + 4 * dims.len() + data.len());
    out.extend_from_slice(&[0, 0, 0x08, dims.len() as u8]);
    for d in dims {
        out.extend_from_slice(&d.to_be_bytes());
    }
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p() -> PathBuf {
        PathBuf::from("x-idx3-ubyte")
    }

    #[test]
    fn parses_good_file() {
        let bytes = encode(&[2, 28, 28], &[7u8; 2 * 784]);
        let a = parse(&bytes, 3, &p()).unwrap();
        assert_eq!(a.dims, vec![2, 28, 28]);
        assert_eq!(a.data.len(), 1568);
    }

    #[test]
    fn rejects_truncated_with_file_name() {
        let bytes = encode(&[2, 28, 28], &[7u8; 2 * 784]);
        let err = parse(&bytes[..bytes.len() - 10], 3, &p()).unwrap_err();
        assert!(matches!(err, IdxError::Truncated { found: 1558, .. }));
        assert!(err.to_string().contains("x-idx3-ubyte"));
    }

    #[test]
    fn rejects_wrong_magic() {
        let mut bytes = encode(&[2], &[1, 2]);
        bytes[2] = 0x0D; // float data
        let err = parse(&bytes, 1, &p()).unwrap_err();
        assert!(matches!(err, IdxError::Magic { .. }), "{err}");
        let bytes = encode(&[2], &[1, 2]);
        assert!(matches!(
            parse(&bytes, 3, &p()).unwrap_err(),
            IdxError::Magic { .. }
        ));
    }

    #[test]
    fn rejects_count_mismatch_and_bad_labels() {
        let img = encode(&[2, 28, 28], &[0u8; 2 * 784]);
        let lab = encode(&[3], &[1, 2, 3]);
        let err = parse_pair(&img, Path::new("i"), &lab, Path::new("l")).unwrap_err();
        assert!(matches!(
            err,
            IdxError::CountMismatch {
                n_images: 2,
                n_labels: 3,
                ..
            }
        ));
        let lab = encode(&[2], &[1, 12]);
        let err = parse_pair(&img, Path::new("i"), &lab, Path::new("l")).unwrap_err();
        assert!(matches!(err, IdxError::Label { index: 1, .. }));
    }

    #[test]
    fn rejects_short_header_and_trailing_bytes() {
        assert!(matches!(
            parse(&[0, 0], 1, &p()).unwrap_err(),
            IdxError::ShortHeader { .. }
        ));
        let mut bytes = encode(&[2], &[1, 2]);
        bytes.push(0);
        assert!(matches!(
            parse(&bytes, 1, &p()).unwrap_err(),
            IdxError::Trailing { .. }
        ));
    }

    #[test]
    fn huge_dimensions_do_not_overflow() {
        let mut bytes = vec![0, 0, 8, 3];
        for _ in 0..3 {
            bytes.extend_from_slice(&u32::MAX.to_be_bytes());
        }
        assert!(matches!(
            parse(&bytes, 3, &p()).unwrap_err(),
            IdxError::Truncated { .. }
        ));
    }

    #[test]
    fn not_gzip_named_gz_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let f = dir.path().join("a-idx1-ubyte.gz");
        std::fs::write(&f, encode(&[1], &[1])).unwrap();
        let err = crate::data::idx_read::read_data_file(&f).unwrap_err();
        assert!(matches!(err, IdxError::Gzip { .. }));
        assert!(err.to_string().contains("a-idx1-ubyte.gz"));
    }
}
