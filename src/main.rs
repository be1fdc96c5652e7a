use std::process::ExitCode;

use clap::Parser;

use bnlab::cli::{Cli, Command};

use bnlab::interrupt::Interrupted;
use bnlab::{headless, presets};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Run(args)) => bnlab::cli::run::run(&args, cli.data_dir.as_deref()),
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
