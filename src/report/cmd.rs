//! `bnlab report RUN_DIR...`.

use std::path::PathBuf;

use clap::Args;

#[derive(Debug, Args, Clone)]
pub struct ReportArgs {
    /// Run folders to report on (the first one receives report.md unless --out is given).
    /// The task folders of one grid (`bnlab run --task K --tasks N`) are pooled into one run,
    /// saved with its report in --out (default: `<first folder>-pooled`).
    #[arg(required = true)]
    pub runs: Vec<PathBuf>,
    /// Folder that receives report.md and the SVG charts.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: &ReportArgs) -> anyhow::Result<()> {
    let path = super::pooled::write_report(&args.runs, args.out.as_deref())?;
    println!("{}", path.display());
    Ok(())
}
