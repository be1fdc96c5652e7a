use std::process::ExitCode;

use clap::Parser;

use bnlab::cli::{Cli, Command, RunArgs};

use anyhow::Context;

use bnlab::interrupt::{Interrupted, StopFlag};
use bnlab::{data, headless, presets, report};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => run(&args, cli.data_dir.as_deref()),
        Some(Command::Presets) => {
            for p in presets::PRESETS {
                println!("{:<15} {}", p.name, p.claim);
            }
            Ok(())
        }
        Some(Command::Report(args)) => bnlab::report::cmd::run(&args),
        Some(Command::Data(args)) => bnlab::data::cmd::run(&args, cli.data_dir.as_deref()),
        Some(Command::Bench(args)) => bnlab::bench::run(&args, cli.data_dir.as_deref()),
        None => bnlab::tui::run(cli.data_dir),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => exit_code(&e),
    }
}

/// 0 finished, 1 failed, 2 usage error, 3 a run that could not be saved anywhere, and
/// 128 + the signal when stopped by one (130 SIGINT, 143 SIGTERM), as `bnlab run --help` says.
fn exit_code(e: &anyhow::Error) -> ExitCode {
    // The command already said what was kept when it was interrupted.
    if let Some(i) = e.downcast_ref::<Interrupted>() {
        return ExitCode::from(i.exit_code());
    }
    // A setting's error is told in the command line's terms, and is a usage error.
    if let Some(c) = e.downcast_ref::<bnlab::train::ConfigError>() {
        eprintln!("error: {}", bnlab::cli::usage(c));
        return ExitCode::from(2);
    }
    eprintln!("error: {e:#}");
    if e.downcast_ref::<headless::NotSaved>().is_some() {
        return ExitCode::from(3);
    }
    let usage = e.downcast_ref::<bnlab::usage::UsageError>().is_some();
    ExitCode::from(if usage { 2 } else { 1 })
}

fn run(args: &RunArgs, data_dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    // Before anything slow: a process started in the background has SIGINT ignored until
    // the handlers are in, and a signal while the data loads must stop the run too.
    let stop = StopFlag::install().context("installing signal handlers")?;
    let dataset = args
        .dataset
        .unwrap_or_else(|| data::best_available(data_dir));
    let config = args.to_config(dataset)?;
    let data = config
        .prepare_data(data_dir)
        .map_err(|e| blame_preset(e, args))?;
    if let Some(i) = stop.interrupted() {
        eprintln!("{i} before training started; nothing to save");
        return Err(i.into());
    }
    eprintln!(
        "bnlab: {} on {} ({} train / {} val / {} test), {} variant(s) x {} seed(s)",
        config.preset,
        dataset,
        data.train.len(),
        data.val.len(),
        data.test.len(),
        config.variants.len(),
        config.seeds
    );
    let (record, saved) = headless::run_with(config, data, &args.out, args.quiet, &stop);
    // A closed terminal (hang-up) must not turn printing into a panic, and the table is
    // printed even when the run could not be saved: it is then all that is left of it.
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", report::table::comparison_table(&record));
    let dir = saved?;
    let _ = writeln!(out, "{}", dir.display());
    match stop.interrupted() {
        Some(i) => Err(i.into()),
        None => Ok(()),
    }
}

/// A batch too large for the data, when the user never passed --batch-size, is the preset's.
fn blame_preset(e: anyhow::Error, args: &RunArgs) -> anyhow::Error {
    match e.downcast_ref::<bnlab::train::ConfigError>() {
        Some(c) if c.field == bnlab::train::Field::BatchSize && args.batch_size.is_none() => {
            let msg = format!(
                "the {} preset's batch size: {}; pass a smaller one",
                args.preset, c.message
            );
            bnlab::usage::UsageError::new("--batch-size", msg).into()
        }
        _ => e,
    }
}
