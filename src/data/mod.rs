//! Data: IDX files in, shared `u8` pixels and seeded stratified splits out.

pub mod checksums;
pub mod cmd;
pub(crate) mod download;
pub mod fetch;
pub(crate) mod fetch_types;
pub mod idx;
pub mod idx_read;
pub mod nonzero;
pub mod source;
pub(crate) mod split;

pub use source::{best_available, load, DataError, DatasetName, RawDataset};
pub use split::{
    prepare, prepare_checked, Normalizer, Prepared, SplitConfig, SplitError, Subset, CLASSES,
    PIXELS,
};
