//! `bnlab data list|fetch|verify`.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::DatasetName;

#[derive(Debug, Args, Clone)]
pub struct DataArgs {
    #[command(subcommand)]
    pub command: DataCommand,
}

#[derive(Debug, Subcommand, Clone)]
pub enum DataCommand {
    /// Show each dataset, where it was found and whether it verified.
    List,
    /// Download a dataset, verify it and install it.
    Fetch {
        #[arg(value_enum)]
        dataset: DatasetName,
        /// Folder that receives the four files (default: <cache>/bnlab/<dataset>).
        #[arg(long)]
        dir: Option<PathBuf>,
        /// Base URL under which the files are <name>.gz (may be repeated).
        #[arg(long)]
        mirror: Vec<String>,
    },
    /// Re-check the files on disk against their known checksums.
    Verify {
        #[arg(value_enum)]
        dataset: Option<DatasetName>,
    },
}

pub fn run(_args: &DataArgs, _data_dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    anyhow::bail!("`bnlab data` is not built yet")
}
