//! Preprocessing: stratified, seeded splits over pixels stored once as `u8`.

use std::sync::{Arc, OnceLock};

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use super::idx::LabelledImages;
use super::nonzero::{NonzeroPixels, MAX_DENSITY};
use super::source::{DatasetName, RawDataset};
use crate::kernels;

pub const PIXELS: usize = 784;
pub const CLASSES: usize = 10;

/// A subset of a shared image store, addressed by index so pixels are never copied.
#[derive(Debug, Clone)]
pub struct Subset {
    images: Arc<LabelledImages>,
    indices: Arc<Vec<u32>>,
    /// Built on first use and shared by every clone (both trainers evaluate the same subsets);
    /// private fields keep it true to the images and indices it was built from.
    nonzero: Arc<OnceLock<Option<NonzeroPixels>>>,
}

impl Subset {
    pub fn new(images: Arc<LabelledImages>, indices: Vec<u32>) -> Self {
        Self {
            images,
            indices: Arc::new(indices),
            nonzero: Arc::default(),
        }
    }
    /// The non-zero pixels of every image, in subset order; `None` when more than
    /// `MAX_DENSITY` of the pixels are non-zero (counted first, so dense images are not listed).
    pub fn nonzero(&self) -> Option<&NonzeroPixels> {
        self.nonzero
            .get_or_init(|| {
                let images = (0..self.len()).map(|i| self.pixels(i));
                let nonzero: usize = images
                    .clone()
                    .map(|p| p.iter().filter(|&&v| v != 0).count())
                    .sum();
                let sparse = nonzero as f64 <= MAX_DENSITY * (self.len() * PIXELS) as f64;
                sparse.then(|| NonzeroPixels::of(images))
            })
            .as_ref()
    }
    pub fn len(&self) -> usize {
        self.indices.len()
    }
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }
    pub fn label(&self, i: usize) -> u8 {
        self.images.labels[self.indices[i] as usize]
    }
    pub fn pixels(&self, i: usize) -> &[u8] {
        let k = self.indices[i] as usize;
        &self.images.pixels[k * PIXELS..(k + 1) * PIXELS]
    }
    pub fn class_counts(&self) -> [usize; CLASSES] {
        let mut c = [0; CLASSES];
        for i in 0..self.len() {
            c[self.label(i) as usize] += 1;
        }
        c
    }
}

/// How `u8` pixels become `f32` inputs: a 256-entry lookup table, so conversion is one load.
#[derive(Debug, Clone)]
pub struct Normalizer {
    lut: [f32; 256],
    pub mean: f32,
    pub std: f32,
}

impl Normalizer {
    /// Pixels scaled to [0, 1].
    pub fn unit() -> Self {
        Self::affine(0.0, 1.0)
    }

    /// `(p / 255 - mean) / std`.
    pub fn affine(mean: f32, std: f32) -> Self {
        let mut lut = [0f32; 256];
        for (p, v) in lut.iter_mut().enumerate() {
            *v = (p as f32 / 255.0 - mean) / std;
        }
        Self { lut, mean, std }
    }

    /// Standardizes with the mean and std of the training subset only (no peeking at validation).
    pub fn standardize(train: &Subset) -> Self {
        let (mut s, mut s2) = (0f64, 0f64);
        for i in 0..train.len() {
            for &p in train.pixels(i) {
                let v = f64::from(p) / 255.0;
                s += v;
                s2 += v * v;
            }
        }
        let n = (train.len() * PIXELS).max(1) as f64;
        let mean = s / n;
        let std = (s2 / n - mean * mean).max(1e-12).sqrt();
        Self::affine(mean as f32, std as f32)
    }

    /// The input each pixel value becomes.
    pub fn table(&self) -> &[f32; 256] {
        &self.lut
    }

    #[inline]
    pub fn convert(&self, src: &[u8], dst: &mut [f32]) {
        if self.mean == 0.0 && self.std == 1.0 {
            // The unit table's values computed in vector registers: the same bits.
            return kernels::scale_pixels(src, dst);
        }
        for (d, &p) in dst.iter_mut().zip(src) {
            *d = self.lut[p as usize];
        }
    }

    /// Fills `x` (rows of 784) and `y` with the items of `subset` at `positions`.
    pub fn fill_batch(&self, subset: &Subset, positions: &[u32], x: &mut [f32], y: &mut [u8]) {
        for (row, &pos) in positions.iter().enumerate() {
            let pos = pos as usize;
            self.convert(subset.pixels(pos), &mut x[row * PIXELS..(row + 1) * PIXELS]);
            y[row] = subset.label(pos);
        }
    }
}

/// How to cut a raw dataset into train, validation and test.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SplitConfig {
    /// Seed of the split (the run seed, so one number reproduces a run).
    pub seed: u64,
    /// Validation images; `None` means the dataset's default.
    pub val_size: Option<usize>,
    /// Keep only this many training images (stratified), for the small-data experiments.
    pub train_limit: Option<usize>,
    /// Standardize with the training mean/std instead of scaling to [0, 1].
    pub standardize: bool,
}

impl SplitConfig {
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            val_size: None,
            train_limit: None,
            standardize: false,
        }
    }
}

/// A dataset ready for training: three disjoint subsets and the pixel normalizer.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub name: DatasetName,
    pub origin: String,
    pub train: Subset,
    pub val: Subset,
    pub test: Subset,
    /// The first `TRAIN_EVAL_SIZE` training images, to measure training accuracy the way
    /// validation accuracy is measured (inference mode, a fixed set).
    pub train_eval: Subset,
    pub norm: Normalizer,
}

/// Training images measured in inference mode when a run asks for it: enough for a
/// percentage to a tenth of a point, few enough to cost a fraction of an evaluation.
pub const TRAIN_EVAL_SIZE: usize = 5000;

/// Splits `indices` by class into (taken, rest), taking about `fraction_n / total` of each class.
/// Rounding is spread so the taken total is exactly `n` (largest remainders first).
fn stratified_take(
    images: &LabelledImages,
    indices: &[u32],
    n: usize,
    rng: &mut ChaCha8Rng,
) -> (Vec<u32>, Vec<u32>) {
    let mut by_class: Vec<Vec<u32>> = vec![Vec::new(); CLASSES];
    for &i in indices {
        by_class[images.labels[i as usize] as usize].push(i);
    }
    let total = indices.len().max(1);
    let n = n.min(indices.len());
    let mut quota: Vec<(usize, usize, f64)> = by_class
        .iter()
        .enumerate()
        .map(|(c, v)| {
            let exact = v.len() as f64 * n as f64 / total as f64;
            (c, exact.floor() as usize, exact - exact.floor())
        })
        .collect();
    let mut missing = n - quota.iter().map(|q| q.1).sum::<usize>();
    let mut order: Vec<usize> = (0..CLASSES).collect();
    order.sort_by(|&a, &b| quota[b].2.total_cmp(&quota[a].2).then(a.cmp(&b)));
    for c in order {
        if missing == 0 {
            break;
        }
        if quota[c].1 < by_class[c].len() {
            quota[c].1 += 1;
            missing -= 1;
        }
    }
    let (mut taken, mut rest) = (Vec::with_capacity(n), Vec::new());
    for (c, k, _) in quota {
        let v = &mut by_class[c];
        v.shuffle(rng);
        taken.extend_from_slice(&v[..k]);
        rest.extend_from_slice(&v[k..]);
    }
    taken.sort_unstable();
    rest.sort_unstable();
    (taken, rest)
}

/// What a split asked for and could not get.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SplitError {
    #[error("{asked} is more than {dataset} can spare (at most {max} validation images)")]
    ValSize {
        dataset: DatasetName,
        asked: usize,
        max: usize,
    },
    #[error("{batch} is larger than the training set ({train} images)")]
    BatchTooLarge { batch: usize, train: usize },
}

/// `prepare`, refusing a split that cannot hold what was asked: `prepare` quietly caps the
/// validation set, and a training set smaller than one batch cannot train.
pub fn prepare_checked(
    raw: &RawDataset,
    cfg: &SplitConfig,
    batch_size: usize,
) -> Result<Prepared, SplitError> {
    let p = prepare(raw, cfg);
    if let Some(asked) = cfg.val_size.filter(|&v| v > p.val.len()) {
        return Err(SplitError::ValSize {
            dataset: p.name,
            asked,
            max: p.val.len(),
        });
    }
    if p.train.len() < batch_size {
        return Err(SplitError::BatchTooLarge {
            batch: batch_size,
            train: p.train.len(),
        });
    }
    Ok(p)
}

/// Cuts a raw dataset into train/validation/test as `cfg` says.
pub fn prepare(raw: &RawDataset, cfg: &SplitConfig) -> Prepared {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed ^ 0x5EED_5B11);
    let all: Vec<u32> = (0..raw.train.labels.len() as u32).collect();
    let (test_images, test_idx, pool) = match &raw.test {
        Some(t) => (t.clone(), (0..t.labels.len() as u32).collect(), all),
        None => {
            // mnist-5k has no official test set: hold out a stratified 20%.
            let (test, rest) = stratified_take(&raw.train, &all, all.len() / 5, &mut rng);
            (raw.train.clone(), test, rest)
        }
    };
    let default_val = match raw.test {
        Some(_) => 5000,
        None => raw.train.labels.len() / 5,
    };
    let val_n = cfg
        .val_size
        .unwrap_or(default_val)
        .min(pool.len().saturating_sub(CLASSES));
    let (val_idx, mut train_idx) = stratified_take(&raw.train, &pool, val_n, &mut rng);
    if let Some(limit) = cfg.train_limit {
        if limit < train_idx.len() {
            train_idx = stratified_take(&raw.train, &train_idx, limit, &mut rng).0;
        }
    }
    let subset = |images: &Arc<LabelledImages>, idx: Vec<u32>| Subset::new(images.clone(), idx);
    let train_eval = subset(
        &raw.train,
        train_idx[..train_idx.len().min(TRAIN_EVAL_SIZE)].to_vec(),
    );
    let train = subset(&raw.train, train_idx);
    let norm = if cfg.standardize {
        Normalizer::standardize(&train)
    } else {
        Normalizer::unit()
    };
    Prepared {
        name: raw.name,
        origin: raw.origin.clone(),
        val: subset(&raw.train, val_idx),
        test: subset(&test_images, test_idx),
        train,
        train_eval,
        norm,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::source::load;
    use std::collections::HashSet;

    fn prep(seed: u64) -> Prepared {
        let raw = load(DatasetName::Mnist5k, None).unwrap();
        prepare(&raw, &SplitConfig::new(seed))
    }

    #[test]
    fn unit_scaling_gives_the_table_s_bits() {
        let n = Normalizer::unit();
        let src: Vec<u8> = (0..=255u8).chain(0..=255).chain([7, 0, 255]).collect();
        let mut dst = vec![f32::NAN; src.len()];
        n.convert(&src, &mut dst);
        for (&p, d) in src.iter().zip(&dst) {
            assert_eq!(d.to_bits(), n.lut[p as usize].to_bits(), "pixel {p}");
        }
    }

    #[test]
    fn split_is_disjoint_stratified_and_complete() {
        let p = prep(1);
        assert_eq!(
            (p.train.len(), p.val.len(), p.test.len()),
            (3000, 1000, 1000)
        );
        let sets: Vec<HashSet<u32>> = [&p.train, &p.val, &p.test]
            .iter()
            .map(|s| s.indices.iter().copied().collect())
            .collect();
        assert!(sets[0].is_disjoint(&sets[1]));
        assert!(sets[0].is_disjoint(&sets[2]));
        assert!(sets[1].is_disjoint(&sets[2]));
        assert_eq!(sets.iter().map(|s| s.len()).sum::<usize>(), 5000);
        assert_eq!(p.val.class_counts(), [100; 10]);
        assert_eq!(p.test.class_counts(), [100; 10]);
        assert_eq!(p.train.class_counts(), [300; 10]);
    }

    #[test]
    fn split_is_deterministic_per_seed() {
        let (a, b, c) = (prep(7), prep(7), prep(8));
        assert_eq!(a.val.indices, b.val.indices);
        assert_eq!(a.train.indices, b.train.indices);
        assert_ne!(a.val.indices, c.val.indices);
    }

    #[test]
    fn train_limit_keeps_classes_balanced() {
        let raw = load(DatasetName::Mnist5k, None).unwrap();
        let mut cfg = SplitConfig::new(3);
        cfg.train_limit = Some(1000);
        let p = prepare(&raw, &cfg);
        assert_eq!(p.train.len(), 1000);
        assert_eq!(p.train.class_counts(), [100; 10]);
    }

    #[test]
    fn normalizer_scales_and_standardizes() {
        let p = prep(1);
        let mut x = vec![0f32; 784];
        p.norm.fill_batch(&p.train, &[0], &mut x, &mut [0u8]);
        assert!(x.iter().all(|&v| (0.0..=1.0).contains(&v)));
        assert!(x.iter().any(|&v| v > 0.5));
        let s = Normalizer::standardize(&p.train);
        assert!((0.1..0.2).contains(&s.mean), "mean {}", s.mean);
        assert!((0.25..0.4).contains(&s.std), "std {}", s.std);
    }
}
