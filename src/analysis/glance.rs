//! What the saved-runs browser shows of a run without reading its metrics: how its trainers
//! ended and each variant's best validation accuracy. Both come from the `summary.csv` that
//! [`super::summary`] wrote from the run's metrics when it was saved, and the numbers are
//! written by the report's own [`values_cell`], so the browser and `report.md` agree.
//! Only a handful of numbers per run are kept, so a folder of many runs stays small.

use std::path::Path;

use super::compare::{Measure, BEST_VAL_ACC};
use super::fmt::values_cell;
use super::stats::Estimate;
use super::summary::{column, SummaryRow};
use crate::model::Variant;
use crate::runs::folder::{csv_err, io_err, is_job_row, RunError, SUMMARY};
use crate::runs::limits;
use crate::train::{RunConfig, Status};

/// How a saved run ended, from best to worst: a run is as bad as its worst trainer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ending {
    Finished,
    Diverged,
    /// Saved while trainers were still training (an export).
    Unfinished,
    Interrupted,
    Failed,
}

impl Ending {
    pub fn as_str(self) -> &'static str {
        match self {
            Ending::Finished => "finished",
            Ending::Diverged => "diverged",
            Ending::Unfinished => "unfinished",
            Ending::Interrupted => "interrupted",
            Ending::Failed => "failed",
        }
    }

    fn of(s: Status) -> Self {
        match s {
            Status::Finished => Ending::Finished,
            Status::Diverged => Ending::Diverged,
            Status::Pending | Status::Running | Status::Paused => Ending::Unfinished,
            Status::Interrupted => Ending::Interrupted,
            Status::Failed => Ending::Failed,
        }
    }
}

/// One variant's best validation accuracy over its seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct Best {
    pub variant: Variant,
    /// Mean over the seeds, for sorting and the list's short form.
    pub mean: Option<f64>,
    /// As the report writes it: one seed's value, or mean ± std over several.
    pub cell: String,
    /// In a sweep, the swept value where the mean was highest (diverged seeds left out, as
    /// in the report's sweep table).
    pub at: Option<f64>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Glance {
    pub ending: Ending,
    /// Trainers by ending, e.g. "3 finished, 1 diverged"; one word when all ended alike.
    pub endings: String,
    pub trainers: usize,
    /// Distinct seeds that trained.
    pub seeds: usize,
    /// Per variant, in the order the report lists them.
    pub best: Vec<Best>,
}

impl Glance {
    /// The highest of the variants' means, for sorting by accuracy.
    pub fn top(&self) -> Option<f64> {
        self.best.iter().filter_map(|b| b.mean).reduce(f64::max)
    }
}

/// The little that is kept of one trainer's summary row.
#[derive(Clone)]
struct Trainer {
    variant: Variant,
    seed: u64,
    point: usize,
    point_value: Option<f64>,
    status: Status,
    value: Option<f64>,
}

/// Reads `dir/summary.csv` of a run whose config is `config`.
pub fn read(dir: &Path, config: &RunConfig) -> Result<Glance, RunError> {
    let p = dir.join(SUMMARY);
    let file = limits::open(&p, limits::TABLE_MAX).map_err(io_err(&p))?;
    let mut rdr = csv::Reader::from_reader(file);
    let headers = rdr.headers().map_err(|e| csv_err(&p, e))?.clone();
    let m = &BEST_VAL_ACC;
    let mut trainers = Vec::new();
    for rec in rdr.records() {
        let rec = rec.map_err(|e| csv_err(&p, e))?;
        if !is_job_row(&headers, &rec) {
            continue;
        }
        let row: SummaryRow = rec
            .deserialize(Some(&headers))
            .map_err(|e| csv_err(&p, e))?;
        // A variant this version does not know is skipped, as when the run is loaded.
        let Some(variant) = Variant::parse(&row.variant) else {
            continue;
        };
        trainers.push(Trainer {
            variant,
            seed: row.seed,
            point: row.point,
            point_value: row.point_value,
            status: Status::parse(&row.status).unwrap_or(Status::Finished),
            value: column(&row, m.key).flatten(),
        });
    }
    if trainers.is_empty() {
        return Err(RunError::Csv {
            path: p,
            line: 1,
            message: "no trainer rows".into(),
        });
    }
    Ok(glance(&trainers, config, m))
}

fn glance(trainers: &[Trainer], config: &RunConfig, m: &Measure) -> Glance {
    let ending = trainers
        .iter()
        .map(|t| Ending::of(t.status))
        .max()
        .unwrap_or(Ending::Finished);
    let mut seeds: Vec<u64> = trainers.iter().map(|t| t.seed).collect();
    seeds.sort_unstable();
    seeds.dedup();
    // The report's order: the config's variants, then any others in file order.
    let mut variants = config.variants.clone();
    for t in trainers {
        if !variants.contains(&t.variant) {
            variants.push(t.variant);
        }
    }
    variants.retain(|v| trainers.iter().any(|t| t.variant == *v));
    let sweep = config.sweep.is_some();
    let best = variants
        .into_iter()
        .map(|v| best_of(trainers, v, sweep, m))
        .collect();
    Glance {
        ending,
        endings: endings(trainers),
        trainers: trainers.len(),
        seeds: seeds.len(),
        best,
    }
}

/// Without a sweep, every seed counts, as in the report's metrics table; in a sweep, the
/// point with the highest mean over the seeds that did not diverge, as in its sweep table.
fn best_of(trainers: &[Trainer], v: Variant, sweep: bool, m: &Measure) -> Best {
    let mut points: Vec<(usize, Option<f64>)> = trainers
        .iter()
        .filter(|t| t.variant == v)
        .map(|t| (t.point, t.point_value))
        .collect();
    points.sort_by_key(|p| p.0);
    points.dedup_by_key(|p| p.0);
    let mut best: Option<Best> = None;
    for (point, value) in points {
        // Seed order, as the report's groups are, so the mean is summed alike to the bit.
        let mut group: Vec<&Trainer> = trainers
            .iter()
            .filter(|t| t.variant == v && t.point == point)
            .filter(|t| !sweep || t.status != Status::Diverged)
            .collect();
        group.sort_by_key(|t| t.seed);
        let xs: Vec<f64> = group.iter().filter_map(|t| t.value).collect();
        let here = Best {
            variant: v,
            mean: Estimate::of(&xs).map(|e| e.mean),
            cell: values_cell(m, &xs, group.len()),
            at: if sweep { value } else { None },
        };
        let better = match (&best, here.mean) {
            (None, _) => true,
            (Some(b), Some(x)) => b.mean.is_none_or(|y| x > y),
            (Some(_), None) => false,
        };
        if better {
            best = Some(here);
        }
    }
    best.unwrap_or(Best {
        variant: v,
        mean: None,
        cell: "–".into(),
        at: None,
    })
}

fn endings(trainers: &[Trainer]) -> String {
    let mut counts: Vec<(Ending, usize)> = Vec::new();
    for t in trainers {
        let e = Ending::of(t.status);
        match counts.iter_mut().find(|c| c.0 == e) {
            Some(c) => c.1 += 1,
            None => counts.push((e, 1)),
        }
    }
    if counts.len() == 1 {
        return counts[0].0.as_str().to_string();
    }
    counts.sort();
    counts
        .iter()
        .map(|(e, n)| format!("{n} {}", e.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(variant: Variant, seed: u64, point: usize, status: Status, v: f64) -> Trainer {
        Trainer {
            variant,
            seed,
            point,
            point_value: Some([0.01, 0.1, 1.0][point]),
            status,
            value: Some(v),
        }
    }

    fn config(sweep: bool) -> RunConfig {
        let mut c = crate::presets::find("ioffe2015")
            .unwrap()
            .config(crate::data::DatasetName::Mnist5k);
        c.sweep = sweep.then(|| crate::train::Sweep {
            param: crate::train::SweepParam::LearningRate,
            values: vec![0.01, 0.1, 1.0],
        });
        c
    }

    #[test]
    fn a_run_is_as_bad_as_its_worst_trainer_and_counts_say_how_many() {
        use Variant::{Bn, Plain};
        let tr = [
            t(Plain, 1, 0, Status::Finished, 0.9),
            t(Bn, 1, 0, Status::Diverged, 0.1),
            t(Plain, 2, 0, Status::Finished, 0.92),
            t(Bn, 2, 0, Status::Finished, 0.95),
        ];
        let g = glance(&tr, &config(false), &BEST_VAL_ACC);
        assert_eq!(g.ending, Ending::Diverged);
        assert_eq!(g.endings, "3 finished, 1 diverged");
        assert_eq!((g.trainers, g.seeds), (4, 2));
        // Without a sweep every seed counts, the diverged one too, as in the report.
        assert_eq!(g.best[0].cell, "91.00% ± 1.41 pp");
        assert_eq!(g.best[1].cell, "52.50% ± 60.10 pp");
        assert_eq!(g.best[1].at, None);
        assert!((g.top().unwrap() - 0.91).abs() < 1e-12);
        let worse = [t(Plain, 1, 0, Status::Interrupted, 0.5), tr[1].clone()];
        assert_eq!(
            glance(&worse, &config(false), &BEST_VAL_ACC).ending,
            Ending::Interrupted
        );
    }

    #[test]
    fn a_sweep_shows_each_variant_at_its_best_point_without_diverged_seeds() {
        use Variant::{Bn, Plain};
        let tr = [
            t(Plain, 1, 0, Status::Finished, 0.80),
            t(Plain, 1, 1, Status::Finished, 0.90),
            t(Plain, 1, 2, Status::Diverged, 0.99),
            t(Bn, 1, 0, Status::Finished, 0.85),
            t(Bn, 1, 1, Status::Finished, 0.93),
            t(Bn, 1, 2, Status::Finished, 0.97),
        ];
        let g = glance(&tr, &config(true), &BEST_VAL_ACC);
        assert_eq!(
            (g.best[0].cell.as_str(), g.best[0].at),
            ("90.00%", Some(0.1))
        );
        assert_eq!(
            (g.best[1].cell.as_str(), g.best[1].at),
            ("97.00%", Some(1.0))
        );
        assert_eq!(g.ending, Ending::Diverged);
    }
}
