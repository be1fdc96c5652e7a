//! The terminal UI entry point: terminal setup and restore, and the event loop.

use std::path::PathBuf;

pub fn run(_data_dir: Option<PathBuf>) -> anyhow::Result<()> {
    anyhow::bail!("the terminal UI is not built yet; use `bnlab run`")
}
