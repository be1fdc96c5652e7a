//! The settings of a run as a type, so that an error can name the one at fault and each front
//! end can point at it in its own terms: the CLI as a flag, the form as a row, a run folder as a
//! `config.json` key.

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Field {
    Preset,
    Dataset,
    Lr,
    Momentum,
    BatchSize,
    Steps,
    Epochs,
    Variants,
    Seeds,
    Seed,
    Depth,
    InitSigma,
    LogEvery,
    Parallel,
    Sweep,
    TrainLimit,
    ValSize,
    Dropout,
}

impl Field {
    /// The setting's key in `config.json`.
    pub fn key(self) -> &'static str {
        match self {
            Field::Preset => "preset",
            Field::Dataset => "dataset",
            Field::Lr => "lr",
            Field::Momentum => "momentum",
            Field::BatchSize => "batch_size",
            Field::Steps => "steps",
            Field::Epochs => "epochs",
            Field::Variants => "variants",
            Field::Seeds => "seeds",
            Field::Seed => "seed",
            Field::Depth => "depth",
            Field::InitSigma => "init",
            Field::LogEvery => "log_every",
            Field::Parallel => "parallel",
            Field::Sweep => "sweep",
            Field::TrainLimit => "split.train_limit",
            Field::ValSize => "split.val_size",
            Field::Dropout => "dropout",
        }
    }
}

impl std::fmt::Display for Field {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.key())
    }
}

/// A setting that cannot be used, with the reason.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct ConfigError {
    pub field: Field,
    pub message: String,
}

impl ConfigError {
    pub fn new(field: Field, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
