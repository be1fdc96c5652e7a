//! Which datasets bnlab knows and where it looks for them on disk.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::idx::{self, LabelledImages};

/// The datasets bnlab can train on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum DatasetName {
    /// Full MNIST, 60k train + 10k test, from a data folder.
    Mnist,
    /// Fashion-MNIST, from a data folder or Debian's dataset-fashion-mnist.
    FashionMnist,
    /// 5,000 real MNIST digits embedded in the binary.
    #[value(name = "mnist-5k")]
    #[serde(rename = "mnist-5k")]
    Mnist5k,
}

pub const ALL_DATASETS: [DatasetName; 3] = [
    DatasetName::Mnist,
    DatasetName::FashionMnist,
    DatasetName::Mnist5k,
];

/// The four standard file names of an MNIST-style data folder.
pub const TRAIN_IMAGES: &str = "train-images-idx3-ubyte";
pub const TRAIN_LABELS: &str = "train-labels-idx1-ubyte";
pub const TEST_IMAGES: &str = "t10k-images-idx3-ubyte";
pub const TEST_LABELS: &str = "t10k-labels-idx1-ubyte";
pub const STANDARD_FILES: [&str; 4] = [TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS];

pub const DEBIAN_FASHION_DIR: &str = "/usr/share/datasets/fashion-mnist";

pub(crate) static MNIST5K_IMAGES: &[u8] =
    include_bytes!("../../assets/mnist-5k/mnist5k-images-idx3-ubyte.gz");
pub(crate) static MNIST5K_LABELS: &[u8] =
    include_bytes!("../../assets/mnist-5k/mnist5k-labels-idx1-ubyte.gz");

impl DatasetName {
    pub fn as_str(self) -> &'static str {
        match self {
            DatasetName::Mnist => "mnist",
            DatasetName::FashionMnist => "fashion-mnist",
            DatasetName::Mnist5k => "mnist-5k",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            DatasetName::Mnist => "MNIST (60k train, 10k test)",
            DatasetName::FashionMnist => "Fashion-MNIST (60k train, 10k test)",
            DatasetName::Mnist5k => "MNIST 5k subset (embedded)",
        }
    }

    pub fn class_names(self) -> [&'static str; 10] {
        match self {
            DatasetName::FashionMnist => [
                "T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
                "Bag", "Boot",
            ],
            _ => ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"],
        }
    }
}

impl std::fmt::Display for DatasetName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Raw labelled images as loaded: a training file and a test file (or none, for mnist-5k).
#[derive(Debug, Clone)]
pub struct RawDataset {
    pub name: DatasetName,
    pub train: Arc<LabelledImages>,
    pub test: Option<Arc<LabelledImages>>,
    /// Where the files came from, for the run's config and the UI.
    pub origin: String,
}

#[derive(Debug, thiserror::Error)]
pub enum DataError {
    #[error(transparent)]
    Idx(#[from] idx::IdxError),
    #[error("{name} not found. Looked in:\n{looked}\nGet it with `bnlab data fetch {name}`, or pass --data-dir DIR (a folder holding {files}), or set BNLAB_DATA_DIR to a folder with one subfolder per dataset.")]
    NotFound {
        name: DatasetName,
        looked: String,
        files: String,
    },
    #[error("--data-dir {0}: not a folder holding the four files {1}")]
    BadDataDir(PathBuf, String),
}

/// The user's cache root for bnlab data: `<cache>/bnlab`.
pub fn cache_root() -> Option<PathBuf> {
    dirs::cache_dir().map(|d| d.join("bnlab"))
}

/// The folders searched for a dataset, in order, each with a short reason.
pub fn candidate_dirs(name: DatasetName, data_dir: Option<&Path>) -> Vec<(PathBuf, &'static str)> {
    let mut out = Vec::new();
    if let Some(d) = data_dir {
        // The folder itself, or a root with one subfolder per dataset (like BNLAB_DATA_DIR).
        out.push((d.to_owned(), "--data-dir"));
        out.push((d.join(name.as_str()), "--data-dir"));
        return out;
    }
    if let Some(root) = std::env::var_os("BNLAB_DATA_DIR") {
        out.push((PathBuf::from(root).join(name.as_str()), "$BNLAB_DATA_DIR"));
    }
    if let Some(c) = cache_root() {
        out.push((c.join(name.as_str()), "cache"));
    }
    if name == DatasetName::FashionMnist {
        out.push((PathBuf::from(DEBIAN_FASHION_DIR), "Debian package"));
    }
    out
}

/// Finds the path of one standard file in a folder, raw or `.gz`. Any entry of that name
/// counts, even a folder, FIFO or dangling link, so that the error that follows names it
/// instead of saying the dataset is missing.
pub fn find_file(dir: &Path, stem: &str) -> Option<PathBuf> {
    [format!("{stem}.gz"), stem.to_string()]
        .into_iter()
        .map(|n| dir.join(n))
        .find(|p| p.symlink_metadata().is_ok())
}

fn has_all_files(dir: &Path) -> bool {
    STANDARD_FILES.iter().all(|f| find_file(dir, f).is_some())
}

/// The first folder that holds all four files of `name`, if any.
pub fn locate(name: DatasetName, data_dir: Option<&Path>) -> Option<PathBuf> {
    candidate_dirs(name, data_dir)
        .into_iter()
        .map(|(d, _)| d)
        .find(|d| has_all_files(d))
}

/// The dataset a user most likely wants: full MNIST when found, else the embedded digits.
pub fn best_available(data_dir: Option<&Path>) -> DatasetName {
    if locate(DatasetName::Mnist, data_dir).is_some() {
        DatasetName::Mnist
    } else {
        DatasetName::Mnist5k
    }
}

/// Loads a dataset's raw files.
pub fn load(name: DatasetName, data_dir: Option<&Path>) -> Result<RawDataset, DataError> {
    if name == DatasetName::Mnist5k {
        return load_embedded();
    }
    let Some(dir) = locate(name, data_dir) else {
        if let Some(d) = data_dir {
            return Err(DataError::BadDataDir(
                d.to_owned(),
                STANDARD_FILES.join(", "),
            ));
        }
        let looked = candidate_dirs(name, None)
            .iter()
            .map(|(d, why)| format!("  {} ({why})", d.display()))
            .collect::<Vec<_>>()
            .join("\n");
        return Err(DataError::NotFound {
            name,
            looked,
            files: STANDARD_FILES.join(", "),
        });
    };
    let file = |stem| find_file(&dir, stem).expect("checked by locate");
    let train = super::idx_read::read_pair(&file(TRAIN_IMAGES), &file(TRAIN_LABELS))?;
    let test = super::idx_read::read_pair(&file(TEST_IMAGES), &file(TEST_LABELS))?;
    Ok(RawDataset {
        name,
        train: Arc::new(train),
        test: Some(Arc::new(test)),
        origin: dir.display().to_string(),
    })
}

fn load_embedded() -> Result<RawDataset, DataError> {
    let ip = Path::new("assets/mnist-5k/mnist5k-images-idx3-ubyte.gz");
    let lp = Path::new("assets/mnist-5k/mnist5k-labels-idx1-ubyte.gz");
    let gz = |bytes, path: &Path| {
        idx::gunzip(bytes).map_err(|cause| idx::IdxError::Gzip {
            path: path.to_owned(),
            cause,
        })
    };
    let train = idx::parse_pair(&gz(MNIST5K_IMAGES, ip)?, ip, &gz(MNIST5K_LABELS, lp)?, lp)?;
    Ok(RawDataset {
        name: DatasetName::Mnist5k,
        train: Arc::new(train),
        test: None,
        origin: "embedded".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_digits_load_with_500_per_class() {
        let d = load(DatasetName::Mnist5k, None).unwrap();
        assert_eq!(d.train.labels.len(), 5000);
        assert_eq!(d.train.pixels.len(), 5000 * 784);
        for c in 0..10u8 {
            assert_eq!(d.train.labels.iter().filter(|&&l| l == c).count(), 500);
        }
    }

    #[test]
    fn data_dir_may_hold_one_subfolder_per_dataset() {
        let root = tempfile::tempdir().unwrap();
        let sub = root.path().join("mnist");
        std::fs::create_dir(&sub).unwrap();
        for f in STANDARD_FILES {
            std::fs::write(sub.join(f), b"").unwrap();
        }
        assert_eq!(
            locate(DatasetName::Mnist, Some(root.path())),
            Some(sub.clone())
        );
        assert_eq!(locate(DatasetName::Mnist, Some(&sub)), Some(sub));
        assert_eq!(locate(DatasetName::FashionMnist, Some(root.path())), None);
    }

    #[test]
    fn missing_data_dir_is_named() {
        let err = load(DatasetName::Mnist, Some(Path::new("/nonexistent/bnlab"))).unwrap_err();
        assert!(err.to_string().contains("/nonexistent/bnlab"), "{err}");
    }
}
