//! `bnlab bench`: training and inference throughput, printed as JSON lines.

use std::path::Path;

use clap::Args;

/// Full MNIST is found like everywhere else: `--data-dir DIR` (the global flag), then
/// `$BNLAB_DATA_DIR/mnist`, then the cache.
#[derive(Debug, Args, Clone)]
pub struct BenchArgs {
    /// Only the quick cases (batch 60, SGD).
    #[arg(long)]
    pub quick: bool,
}

pub fn run(_args: &BenchArgs, _data_dir: Option<&Path>) -> anyhow::Result<()> {
    anyhow::bail!("`bnlab bench` is not built yet")
}
