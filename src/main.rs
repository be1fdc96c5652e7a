use std::process::ExitCode;

use clap::Parser;

use bnlab::cli::{Cli, Command, RunArgs};

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
        Err(e) => {
            // A setting's error is told in the command line's terms, and is a usage error.
            if let Some(c) = e.downcast_ref::<bnlab::train::ConfigError>() {
                eprintln!("error: {}", bnlab::cli::usage(c));
                return ExitCode::from(2);
            }
            eprintln!("error: {e:#}");
            let usage = e.downcast_ref::<bnlab::usage::UsageError>().is_some();
            ExitCode::from(if usage { 2 } else { 1 })
        }
    }
}

fn run(args: &RunArgs, data_dir: Option<&std::path::Path>) -> anyhow::Result<()> {
    let dataset = args
        .dataset
        .unwrap_or_else(|| data::best_available(data_dir));
    let config = args.to_config(dataset)?;
    let data = config.prepare_data(data_dir)?;
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
    let (record, dir) = headless::run(config, data, &args.out, args.quiet)?;
    // The run is already saved; a closed terminal (hang-up) must not turn this into a panic.
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = write!(out, "{}", report::table::comparison_table(&record));
    let _ = writeln!(out, "{}", dir.display());
    Ok(())
}
