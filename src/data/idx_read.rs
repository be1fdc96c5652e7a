//! Reading IDX files from disk with bounded memory: the header is read and checked against
//! the format's limits before any pixel is, decompression stops at the size the header
//! announces, and nothing is allocated from a number read out of a file without a cap.
//!
//! The limits: at most [`MAX_ITEMS`] images of exactly 28×28 pixels per file (twice MNIST's
//! 60,000 training images, so a header can never make bnlab hold more than about 94 MB of
//! pixels), and labels in the same count.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek};
use std::path::Path;

use flate2::bufread::GzDecoder;

use super::idx::{IdxError, LabelledImages, MAX_ITEMS, SIDE};

/// Trailing bytes are counted up to this many, so a compressed bomb after the data costs
/// neither memory nor much time.
const TRAILING_COUNT_CAP: u64 = 1 << 20;

/// Opens a data file after checking it is a regular file: a folder, FIFO or device would
/// otherwise block or fail with a message that does not say what is wrong with it.
pub fn open_regular(path: &Path) -> Result<File, IdxError> {
    let io = |cause| IdxError::Io {
        path: path.to_owned(),
        cause,
    };
    let kind = |what: String| IdxError::NotAFile {
        path: path.to_owned(),
        what,
    };
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(match std::fs::read_link(path) {
                Ok(to) => kind(format!("a link to {}, which does not exist", to.display())),
                Err(_) => io(e),
            })
        }
        Err(e) => return Err(io(e)),
    };
    if !meta.is_file() {
        return Err(kind(describe_type(&meta).into()));
    }
    File::open(path).map_err(io)
}

fn describe_type(meta: &std::fs::Metadata) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_dir() {
        "a folder"
    } else if t.is_fifo() {
        "a FIFO (named pipe)"
    } else if t.is_char_device() || t.is_block_device() {
        "a device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a regular file"
    }
}

/// A data file's decompressed content, raw or gunzipped by name.
enum Stream {
    Raw(BufReader<File>),
    Gz(Box<GzDecoder<BufReader<File>>>),
}

struct Opened<'p> {
    path: &'p Path,
    stream: Stream,
    /// Size on disk, to tell trailing compressed bytes from the end of the file.
    disk_len: u64,
}

impl Opened<'_> {
    fn open(path: &Path) -> Result<Opened<'_>, IdxError> {
        let file = open_regular(path)?;
        let disk_len = file.metadata().map_or(0, |m| m.len());
        let buf = BufReader::new(file);
        let stream = if path.extension().is_some_and(|e| e == "gz") {
            Stream::Gz(Box::new(GzDecoder::new(buf)))
        } else {
            Stream::Raw(buf)
        };
        Ok(Opened {
            path,
            stream,
            disk_len,
        })
    }

    fn err(&self, cause: std::io::Error) -> IdxError {
        let path = self.path.to_owned();
        match self.stream {
            Stream::Gz(_) if cause.kind() != std::io::ErrorKind::PermissionDenied => {
                IdxError::Gzip { path, cause }
            }
            _ => IdxError::Io { path, cause },
        }
    }

    /// Reads up to `n` bytes; fewer only at the end of the stream.
    fn read_up_to(&mut self, n: u64, out: &mut Vec<u8>) -> Result<(), IdxError> {
        let r: &mut dyn Read = match &mut self.stream {
            Stream::Raw(r) => r,
            Stream::Gz(g) => g.as_mut(),
        };
        r.take(n).read_to_end(out).map_err(|e| self.err(e))?;
        Ok(())
    }

    /// Reads the magic number and dimensions of an IDX file of unsigned bytes.
    fn header(&mut self, ndim: u8) -> Result<Vec<u32>, IdxError> {
        let len = 4 + 4 * u64::from(ndim);
        let mut head = Vec::with_capacity(len as usize);
        self.read_up_to(4, &mut head)?;
        let short = |found| IdxError::ShortHeader {
            path: self.path.to_owned(),
            found,
        };
        if head.len() < 4 {
            return Err(short(head.len()));
        }
        let magic = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
        let expected = 0x0000_0800 | u32::from(ndim);
        if magic != expected {
            return Err(IdxError::Magic {
                path: self.path.to_owned(),
                found: magic,
                expected,
            });
        }
        self.read_up_to(len - 4, &mut head)?;
        if (head.len() as u64) < len {
            return Err(short(head.len()));
        }
        Ok(head[4..]
            .chunks_exact(4)
            .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]))
            .collect())
    }

    /// Reads exactly `len` bytes of data, then makes sure nothing follows them.
    fn body(mut self, len: usize) -> Result<Vec<u8>, IdxError> {
        // `len` is already capped by the format limits; a raw file cannot hold more than its size.
        let cap = match self.stream {
            Stream::Raw(_) => len.min(self.disk_len as usize),
            Stream::Gz(_) => len,
        };
        let mut data = Vec::with_capacity(cap);
        self.read_up_to(len as u64, &mut data)?;
        if data.len() < len {
            return Err(IdxError::Truncated {
                path: self.path.to_owned(),
                expected: len,
                found: data.len(),
            });
        }
        let mut rest = Vec::new();
        self.read_up_to(TRAILING_COUNT_CAP, &mut rest)?;
        if !rest.is_empty() {
            return Err(IdxError::Trailing {
                path: self.path.to_owned(),
                expected: len,
                found: rest.len(),
                capped: rest.len() as u64 == TRAILING_COUNT_CAP,
            });
        }
        if let Stream::Gz(g) = self.stream {
            // Reading to the end checked the gzip trailer; anything after it is not ours.
            let mut file = g.into_inner();
            let at_end = file.fill_buf().map(|b| b.is_empty()).unwrap_or(false);
            if !at_end {
                let pos = file.stream_position().unwrap_or(0);
                return Err(IdxError::GzipTrailing {
                    path: self.path.to_owned(),
                    found: self.disk_len.saturating_sub(pos),
                });
            }
        }
        Ok(data)
    }
}

fn check_count(path: &Path, dims: &[u32], what: &'static str) -> Result<(), IdxError> {
    if dims[0] > MAX_ITEMS {
        return Err(IdxError::TooMany {
            path: path.to_owned(),
            found: dims[0],
            what,
        });
    }
    Ok(())
}

/// Reads an images file: N × 28 × 28 with N at most [`MAX_ITEMS`], checked before any pixel.
pub fn read_images(path: &Path) -> Result<(usize, Vec<u8>), IdxError> {
    let mut f = Opened::open(path)?;
    let dims = f.header(3)?;
    check_count(path, &dims, "images")?;
    if dims[1] != SIDE || dims[2] != SIDE {
        return Err(IdxError::Dims {
            path: path.to_owned(),
            dims,
            what: "N x 28 x 28 images",
        });
    }
    let n = dims[0] as usize;
    Ok((n, f.body(n * (SIDE * SIDE) as usize)?))
}

/// Reads a labels file: N bytes with N at most [`MAX_ITEMS`].
pub fn read_labels(path: &Path) -> Result<Vec<u8>, IdxError> {
    let mut f = Opened::open(path)?;
    let dims = f.header(1)?;
    check_count(path, &dims, "labels")?;
    f.body(dims[0] as usize)
}

/// Reads an images/labels pair from disk, checked against each other.
pub fn read_pair(images: &Path, labels: &Path) -> Result<LabelledImages, IdxError> {
    let (n_images, pixels) = read_images(images)?;
    let labels_data = read_labels(labels)?;
    super::idx::check_labels(images, n_images, labels, &labels_data)?;
    Ok(LabelledImages {
        pixels,
        labels: labels_data,
        rows: SIDE as usize,
        cols: SIDE as usize,
    })
}

/// The decompressed bytes of a data file of any IDX shape, at most `limit` of them.
pub fn read_maybe_gz(path: &Path, limit: u64) -> Result<Vec<u8>, IdxError> {
    let mut f = Opened::open(path)?;
    let mut out = Vec::new();
    f.read_up_to(limit.saturating_add(1), &mut out)?;
    if out.len() as u64 > limit {
        return Err(IdxError::TooLarge {
            path: path.to_owned(),
            limit,
        });
    }
    Ok(out)
}

/// The decompressed bytes of a data file (gunzipped when the name ends in `.gz`), refused
/// beyond what the largest file bnlab accepts could hold.
pub fn read_data_file(path: &Path) -> Result<Vec<u8>, IdxError> {
    let limit = 16 + u64::from(MAX_ITEMS) * u64::from(SIDE.pow(2));
    read_maybe_gz(path, limit)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::idx::encode;
    use std::io::Write;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn header(dims: &[u32]) -> Vec<u8> {
        encode(dims, &[])
    }

    #[test]
    fn a_header_claiming_millions_of_images_is_refused_before_the_body() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("train-images-idx3-ubyte");
        std::fs::write(&p, header(&[8_000_000, 28, 28])).unwrap();
        let err = read_images(&p).unwrap_err();
        assert!(
            matches!(
                err,
                IdxError::TooMany {
                    found: 8_000_000,
                    ..
                }
            ),
            "{err}"
        );
        let m = err.to_string();
        assert!(
            m.contains("train-images-idx3-ubyte") && m.contains("120000"),
            "{m}"
        );
        let p = dir.path().join("l");
        std::fs::write(&p, header(&[MAX_ITEMS + 1])).unwrap();
        assert!(matches!(read_labels(&p), Err(IdxError::TooMany { .. })));
    }

    #[test]
    fn images_that_are_not_28_by_28_are_refused_from_the_header() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("i");
        std::fs::write(&p, header(&[10, 64, 64])).unwrap();
        assert!(matches!(read_images(&p), Err(IdxError::Dims { .. })));
    }

    #[test]
    fn decompression_stops_after_the_announced_size() {
        // 64 MiB of zeros after two images: refused after reading at most a MiB of them.
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x-idx3-ubyte.gz");
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        e.write_all(&encode(&[2, 28, 28], &[1; 2 * 784])).unwrap();
        let zeros = vec![0u8; 1 << 20];
        for _ in 0..64 {
            e.write_all(&zeros).unwrap();
        }
        std::fs::write(&p, e.finish().unwrap()).unwrap();
        let err = read_images(&p).unwrap_err();
        assert!(
            matches!(err, IdxError::Trailing { capped: true, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("at least 1048576 trailing bytes"),
            "{err}"
        );
    }

    #[test]
    fn trailing_garbage_after_gzip_data_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x-idx1-ubyte.gz");
        let mut bytes = gz(&encode(&[2], &[1, 2]));
        std::fs::write(&p, &bytes).unwrap();
        assert_eq!(read_labels(&p).unwrap(), vec![1, 2]);
        bytes.extend_from_slice(b"garbage");
        std::fs::write(&p, &bytes).unwrap();
        let err = read_labels(&p).unwrap_err();
        assert!(
            matches!(err, IdxError::GzipTrailing { found: 7, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("trailing garbage after gzip data"));
    }

    #[test]
    fn truncated_gzip_and_truncated_raw_files_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x-idx1-ubyte.gz");
        let bytes = gz(&encode(&[200], &[1; 200]));
        std::fs::write(&p, &bytes[..bytes.len() - 10]).unwrap();
        assert!(read_labels(&p)
            .unwrap_err()
            .to_string()
            .contains("x-idx1-ubyte.gz"));
        let p = dir.path().join("y-idx1-ubyte");
        std::fs::write(&p, &encode(&[200], &[1; 200])[..100]).unwrap();
        assert!(matches!(
            read_labels(&p),
            Err(IdxError::Truncated {
                expected: 200,
                found: 92,
                ..
            })
        ));
    }

    #[test]
    fn folders_fifos_and_dangling_links_are_named_without_opening_them() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().join("train-images-idx3-ubyte");
        std::fs::create_dir(&d).unwrap();
        let m = read_images(&d).unwrap_err().to_string();
        assert!(m.contains("train-images-idx3-ubyte: is a folder"), "{m}");
        let l = dir.path().join("t10k-labels-idx1-ubyte");
        std::os::unix::fs::symlink(dir.path().join("gone"), &l).unwrap();
        let m = read_labels(&l).unwrap_err().to_string();
        assert!(
            m.contains("t10k-labels-idx1-ubyte: is a link to") && m.contains("gone"),
            "{m}"
        );
        let f = dir.path().join("fifo");
        let made = std::process::Command::new("mkfifo").arg(&f).status();
        if made.is_ok_and(|s| s.success()) {
            let m = read_labels(&f).unwrap_err().to_string();
            assert!(m.contains("fifo: is a FIFO"), "{m}");
        }
    }

    #[test]
    fn a_sound_pair_reads_like_parse_pair() {
        let dir = tempfile::tempdir().unwrap();
        let (i, l) = (dir.path().join("i.gz"), dir.path().join("l"));
        std::fs::write(&i, gz(&encode(&[3, 28, 28], &[5; 3 * 784]))).unwrap();
        std::fs::write(&l, encode(&[3], &[0, 9, 4])).unwrap();
        let p = read_pair(&i, &l).unwrap();
        assert_eq!(
            (p.pixels.len(), p.labels, p.rows),
            (3 * 784, vec![0, 9, 4], 28)
        );
    }
}
