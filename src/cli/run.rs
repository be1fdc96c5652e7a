//! `bnlab run`: flags → a grid → the runs of this process's slice, each trained and saved.

use std::io::Write as _;
use std::path::Path;

use anyhow::Context;

use super::RunArgs;
use crate::interrupt::StopFlag;
use crate::runs::grid::{cell_label, Grid};
use crate::usage::UsageError;
use crate::{data, headless, report};

pub fn run(args: &RunArgs, data_dir: Option<&Path>) -> anyhow::Result<()> {
    // Before anything slow: a process started in the background has SIGINT ignored until
    // the handlers are in, and a signal while the data loads must stop the run too.
    let stop = StopFlag::install().context("installing signal handlers")?;
    let dataset = args
        .dataset
        .unwrap_or_else(|| data::best_available(data_dir));
    let config = args.to_config(dataset)?;
    let grid = args.grid(&config)?;
    let env = |k: &str| std::env::var(k).ok();
    let slice = args.slice(&env)?;
    if args.plan {
        return plan(&grid, slice);
    }
    let slice = match slice {
        Some((Some(k), n)) => Some((k, n)),
        Some((None, _)) => {
            let msg = "needs --task K, the task to run (or SLURM_ARRAY_TASK_ID)";
            return Err(UsageError::new("--tasks", msg).into());
        }
        None => None,
    };
    let configs = grid.configs(slice)?;
    let mut out = std::io::stdout().lock();
    let mut results = Vec::new();
    let mut failure = None;
    for config in configs {
        let data = config
            .prepare_data(data_dir)
            .map_err(|e| blame_preset(e, args))?;
        if let Some(i) = stop.interrupted() {
            let what = if results.is_empty() {
                "nothing"
            } else {
                "nothing more"
            };
            eprintln!("{i} before training started; {what} to save");
            failure = Some(anyhow::Error::from(i));
            break;
        }
        let cell = cell_label(&config);
        let part = match &config.slice {
            Some(s) if s.tasks > 1 => format!(", task {} of {}", s.task, s.tasks),
            _ => String::new(),
        };
        eprintln!(
            "bnlab: {}{}{part} on {} ({} train / {} val / {} test), {} trainer(s): {} variant(s) x {} seed(s) x {} point(s)",
            config.preset,
            if cell.is_empty() { String::new() } else { format!(" {cell}") },
            dataset,
            data.train.len(),
            data.val.len(),
            data.test.len(),
            config.jobs().len(),
            config.variants.len(),
            config.seeds,
            config.sweep.as_ref().map_or(1, |s| s.values.len()),
        );
        let (record, saved) = headless::run_with(config, data, &args.out, args.quiet, &stop);
        // A closed terminal (hang-up) must not turn printing into a panic, and the table is
        // printed even when the run could not be saved: it is then all that is left of it.
        let _ = write!(out, "{}", report::table::comparison_table(&record));
        match saved {
            Ok(dir) => {
                let _ = writeln!(out, "{}", dir.display());
                results.push(headless::json::run_json(&record, Some(&dir)));
            }
            Err(e) => {
                results.push(headless::json::run_json(&record, None));
                failure = Some(e.into());
                break;
            }
        }
        if stop.is_set() {
            break;
        }
    }
    if args.json {
        let _ = writeln!(out, "{}", headless::json::line(&results));
    }
    if let Some(e) = failure {
        return Err(e);
    }
    match stop.interrupted() {
        Some(i) => Err(i.into()),
        None => Ok(()),
    }
}

/// `--plan`: the tasks on stdout, one line each; what the grid holds on stderr.
fn plan(grid: &Grid, slice: Option<(Option<usize>, usize)>) -> anyhow::Result<()> {
    let pairs = grid.pairs().len();
    let (only, tasks) = match slice {
        Some((k, n)) => (k, n),
        None => (None, pairs),
    };
    let lines = grid.plan(tasks)?;
    if let Some(k) = only {
        grid.slice_range(k, tasks)?;
    }
    let c = &grid.cells[0].config;
    eprintln!(
        "bnlab: {} grid of {} cell(s) x {} point(s) x {} seed(s) = {pairs} pairs of {} variant(s), in {tasks} task(s)",
        c.preset,
        grid.cells.len(),
        c.sweep.as_ref().map_or(1, |s| s.values.len()),
        c.seeds,
        c.variants.len(),
    );
    let mut out = std::io::stdout().lock();
    for (k, line) in lines.iter().enumerate() {
        if only.is_none_or(|o| o == k) {
            let _ = writeln!(out, "{line}");
        }
    }
    Ok(())
}

/// A batch too large for the data, when the user never passed --batch-size, is the preset's.
fn blame_preset(e: anyhow::Error, args: &RunArgs) -> anyhow::Error {
    match e.downcast_ref::<crate::train::ConfigError>() {
        Some(c) if c.field == crate::train::Field::BatchSize && args.batch_size.is_none() => {
            let msg = format!(
                "the {} preset's batch size: {}; pass a smaller one",
                args.preset, c.message
            );
            UsageError::new("--batch-size", msg).into()
        }
        _ => e,
    }
}
