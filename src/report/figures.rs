//! Which charts a run gets, built from its records: curves always, internals and sweeps when
//! the run measured them.

use crate::metric::{Layer, LayerMetric, Metric};
use std::path::Path;

use super::charts::{self, color, Line, Panel, PALETTE};
use crate::model::Variant;
use crate::runs::{JobRecord, RunRecord};

pub struct Figure {
    pub file: String,
    pub caption: String,
}

fn curve(job: &JobRecord, metric: Metric, scale: f64, x_epochs: bool) -> Vec<(f64, f64)> {
    job.series(metric)
        .into_iter()
        .map(|(s, e, v)| (if x_epochs { e } else { s as f64 }, v * scale))
        .collect()
}

fn jobs_at(record: &RunRecord, point: usize) -> Vec<&JobRecord> {
    record.jobs.iter().filter(|j| j.id.point == point).collect()
}

fn overlay(
    jobs: &[&JobRecord],
    metric: Metric,
    title: &str,
    y: &str,
    scale: f64,
    markers: bool,
) -> Panel {
    let mut p = Panel::new(title, "step", y);
    for j in jobs {
        p.lines.push(Line {
            label: j.id.variant.label().to_string(),
            color: color(j.id.variant),
            points: curve(j, metric, scale, false),
            markers,
        });
    }
    p
}

/// Where charts go: a folder and a file-name prefix.
struct Dest<'a> {
    dir: &'a Path,
    prefix: &'a str,
}

fn save(
    to: &Dest,
    name: &str,
    title: &str,
    panels: &[Panel],
    cols: usize,
    caption: String,
    out: &mut Vec<Figure>,
) -> anyhow::Result<()> {
    let file = format!("{}{name}.svg", to.prefix);
    if charts::write(&to.dir.join(&file), title, panels, cols)? {
        out.push(Figure { file, caption });
    }
    Ok(())
}

/// Highest-numbered hidden layer that has a metric `base.lN`.
/// The deepest hidden layer for which some job recorded `kind`.
fn last_layer(record: &RunRecord, kind: LayerMetric) -> Option<Layer> {
    (1..=20).rev().map(Layer::Hidden).find(|&l| {
        record
            .jobs
            .iter()
            .any(|j| j.rows.iter().any(|r| r.metric == kind.of(l)))
    })
}

fn first_seed(record: &RunRecord, point: usize, v: Variant) -> Option<&JobRecord> {
    record
        .jobs
        .iter()
        .filter(|j| j.id.point == point && j.id.variant == v)
        .min_by_key(|j| j.id.seed)
}

fn variants(record: &RunRecord) -> Vec<Variant> {
    let mut v: Vec<Variant> = Vec::new();
    for j in &record.jobs {
        if !v.contains(&j.id.variant) {
            v.push(j.id.variant);
        }
    }
    v
}

/// Writes every chart the run supports into `dir`, file names starting with `prefix`.
pub fn write_all(record: &RunRecord, dir: &Path, prefix: &str) -> anyhow::Result<Vec<Figure>> {
    let mut out = Vec::new();
    let seeds = record.config.seeds.max(1);
    let seed_note = if seeds > 1 {
        format!(" One line per seed ({seeds} seeds), same color per variant.")
    } else {
        String::new()
    };
    if let Some(sweep) = &record.config.sweep {
        let param = sweep.param.as_str();
        let g = crate::analysis::compare::Groups::of_record(record);
        let xs: Vec<f64> = g
            .points()
            .iter()
            .filter_map(|p| p.1)
            .filter(|x| *x > 0.0)
            .map(f64::log10)
            .collect();
        let x_range = xs.iter().copied().fold(None, |acc: Option<(f64, f64)>, x| {
            Some(acc.map_or((x, x), |(a, b)| (a.min(x), b.max(x))))
        });
        let ti = crate::analysis::compare::speed_threshold(&g);
        let tname = format!("{:.0}%", crate::analysis::metrics::THRESHOLDS[ti] * 100.0);
        let mut best = Panel::new(
            "best validation accuracy",
            format!("{param} (log scale)"),
            "accuracy (%)",
        );
        let mut s95 = Panel::new(
            format!("steps to {tname} validation accuracy"),
            format!("{param} (log scale)"),
            "steps",
        );
        best.x_range = x_range;
        s95.x_range = x_range;
        best.log_x = true;
        s95.log_x = true;
        for v in &g.variants {
            let mut pts = Vec::new();
            let mut pts95 = Vec::new();
            for (point, pv) in g.points() {
                let Some(x) = pv.filter(|x| *x > 0.0).map(f64::log10) else {
                    continue;
                };
                let jobs = g.of(point, *v);
                let ok: Vec<_> = jobs.iter().filter(|j| !j.diverged()).collect();
                if ok.is_empty() {
                    if !jobs.is_empty() {
                        best.crosses.push((x, color(*v)));
                    }
                    continue;
                }
                let b: Vec<f64> = ok
                    .iter()
                    .filter_map(|j| j.best_val_acc.map(|p| p.1 * 100.0))
                    .collect();
                if let Some(e) = crate::analysis::stats::mean(&b) {
                    pts.push((x, e));
                }
                let s: Vec<f64> = ok
                    .iter()
                    .filter_map(|j| j.reach[ti].map(|r| r.step as f64))
                    .collect();
                if s.len() == ok.len() {
                    if let Some(e) = crate::analysis::stats::mean(&s) {
                        pts95.push((x, e));
                    }
                }
            }
            best.lines.push(Line {
                label: v.label().into(),
                color: color(*v),
                points: pts,
                markers: true,
            });
            s95.lines.push(Line {
                label: v.label().into(),
                color: color(*v),
                points: pts95,
                markers: true,
            });
        }
        if !best.crosses.is_empty() {
            best.title.push_str("  (× = diverged)");
        }
        save(&Dest { dir, prefix }, "sweep", &format!("Sweep over {param}"), &[best, s95], 2,
            format!("Best validation accuracy and steps to {tname} validation accuracy against the {param} (mean over seeds; `val_acc` in metrics.csv). Diverged points are drawn as × on the bottom edge and have no value; a missing point on the right panel means {tname} was not reached by every seed."),
            &mut out)?;
        let panels: Vec<Panel> = g
            .points()
            .into_iter()
            .map(|(point, pv)| {
                overlay(
                    &jobs_at(record, point),
                    Metric::ValAcc,
                    &format!("{param} = {}", crate::analysis::fmt::value_str(pv)),
                    "val accuracy (%)",
                    100.0,
                    false,
                )
            })
            .collect();
        save(
            &Dest { dir, prefix },
            "sweep-curves",
            &format!("Validation accuracy at each {param}"),
            &panels,
            2,
            format!(
                "Validation accuracy (`val_acc`) against steps, one panel per {param}.{seed_note}"
            ),
            &mut out,
        )?;
    } else {
        let jobs = jobs_at(record, 0);
        save(&Dest { dir, prefix }, "loss", "Loss", &[
            overlay(&jobs, Metric::TrainLoss, "training loss (mean over each log interval)", "cross-entropy", 1.0, false),
            overlay(&jobs, Metric::ValLoss, "validation loss", "cross-entropy", 1.0, true),
        ], 2, format!("Training loss (`train_loss`) and validation loss (`val_loss`) against steps.{seed_note}"), &mut out)?;
        save(&Dest { dir, prefix }, "accuracy", "Accuracy", &[
            overlay(&jobs, Metric::ValAcc, "validation accuracy", "accuracy (%)", 100.0, true),
            overlay(&jobs, Metric::TrainAcc, "training accuracy (mean over each log interval)", "accuracy (%)", 100.0, false),
        ], 2, format!("Validation accuracy (`val_acc`) and training accuracy (`train_acc`) against steps.{seed_note}"), &mut out)?;
    }
    internals(record, dir, prefix, &mut out)?;
    landscape(record, dir, prefix, &mut out)?;
    Ok(out)
}

fn internals(
    record: &RunRecord,
    dir: &Path,
    prefix: &str,
    out: &mut Vec<Figure>,
) -> anyhow::Result<()> {
    let point = 0;
    if let Some(layer) = last_layer(record, LayerMetric::UnitP50) {
        let mut panels = Vec::new();
        for v in variants(record) {
            let Some(j) = first_seed(record, point, v) else {
                continue;
            };
            let mut p = Panel::new(
                format!("{}: input to a unit of {layer}", v.label()),
                "step",
                "pre-activation",
            );
            let bands = LayerMetric::UNIT_BANDS
                .into_iter()
                .zip(["p15", "p50", "p85"]);
            for (i, (kind, q)) in bands.enumerate() {
                p.lines.push(Line {
                    label: format!("{q} over the probe batch"),
                    color: PALETTE[i],
                    points: curve(j, kind.of(layer), 1.0, false),
                    markers: false,
                });
            }
            panels.push(p);
        }
        save(&Dest { dir, prefix }, "preact", "Distribution of a last-layer input over training (Ioffe & Szegedy, Fig. 1b-c)", &panels, 2,
            format!("The 15th, 50th and 85th percentiles of one hidden unit's input (`unit_p15/p50/p85.{layer}`) over a fixed probe batch, first seed. For BN nets this is the input to the non-linearity after normalization, scale and shift. Stable bands mean a stable input distribution for the layer above."), out)?;
    }
    if last_layer(record, LayerMetric::GradNorm).is_some() {
        let mut panels = Vec::new();
        for v in variants(record) {
            let Some(j) = first_seed(record, point, v) else {
                continue;
            };
            let mut p = Panel::new(
                format!("{}: gradient norm per layer", v.label()),
                "step",
                "log10 gradient norm",
            );
            let mut layers: Vec<Layer> = j
                .rows
                .iter()
                .filter_map(|r| match r.metric {
                    Metric::Layer(LayerMetric::GradNorm, l) => Some(l),
                    _ => None,
                })
                .collect();
            layers.sort();
            layers.dedup();
            for (i, &l) in layers.iter().enumerate() {
                p.lines.push(Line {
                    label: l.to_string(),
                    color: PALETTE[i % PALETTE.len()],
                    points: curve(j, LayerMetric::GradNorm.of(l), 1.0, false)
                        .into_iter()
                        .filter(|q| q.1 > 0.0)
                        .map(|(x, y)| (x, y.log10()))
                        .collect(),
                    markers: false,
                });
            }
            panels.push(p);
        }
        save(&Dest { dir, prefix }, "gradients", "Gradient norm of each layer's weights", &panels, 2,
            "Norm of the gradient of each layer's weights (`grad_norm.lN`, `out` = output layer), log10 scale, first seed. Small norms in the early layers are vanishing gradients.".into(), out)?;
    }
    Ok(())
}

/// Positive values spanning more than this factor are drawn on a log scale.
const LOG_Y_SPAN: f64 = 10.0;

/// Santurkar et al.'s Fig. 4: the three landscape probes over training, one line per variant.
fn landscape(
    record: &RunRecord,
    dir: &Path,
    prefix: &str,
    out: &mut Vec<Figure>,
) -> anyhow::Result<()> {
    let point = 0;
    let firsts: Vec<&JobRecord> = variants(record)
        .into_iter()
        .filter_map(|v| first_seed(record, point, v))
        .collect();
    let measures = [
        (
            Metric::SmoothLossRange,
            "loss landscape: loss range along −g",
            "max − min loss",
        ),
        (
            Metric::SmoothGradChange,
            "gradient predictiveness",
            "max ‖g(w − ηg) − g(w)‖",
        ),
        (
            Metric::SmoothBeta,
            "effective β-smoothness",
            "max ‖Δg‖ / ‖Δw‖",
        ),
    ];
    let mut panels = Vec::new();
    for (metric, title, y) in measures {
        let lines: Vec<Line> = firsts
            .iter()
            .map(|j| Line {
                label: j.id.variant.label().to_string(),
                color: color(j.id.variant),
                points: curve(j, metric, 1.0, false),
                markers: true,
            })
            .collect();
        let positive = lines
            .iter()
            .flat_map(|l| l.points.iter().map(|p| p.1))
            .filter(|v| v.is_finite() && *v > 0.0);
        let (lo, hi) = positive.fold((f64::INFINITY, 0f64), |(a, b), v| (a.min(v), b.max(v)));
        let log = hi / lo > LOG_Y_SPAN;
        let mut p = Panel::new(
            title,
            "step",
            if log {
                format!("{y} (log scale)")
            } else {
                y.into()
            },
        );
        p.log_y = log;
        // A trial step that blew the loss up is the roughest landscape of all: mark it.
        p.crosses = lines
            .iter()
            .flat_map(|l| {
                l.points
                    .iter()
                    .filter(|q| !q.1.is_finite())
                    .map(|q| (q.0, l.color))
            })
            .collect();
        if !p.crosses.is_empty() {
            p.title.push_str("  (× = non-finite)");
        }
        p.lines = lines;
        if log {
            // Zero cannot be drawn on a log axis; such probes are left out of the line.
            for l in &mut p.lines {
                l.points = l
                    .points
                    .iter()
                    .filter(|q| q.1 > 0.0)
                    .map(|&(x, v)| (x, v.log10()))
                    .collect();
            }
        }
        panels.push(p);
    }
    let seed_note = if record.config.seeds > 1 {
        " First seed of each variant."
    } else {
        ""
    };
    save(&Dest { dir, prefix }, "landscape", "Loss landscape along the gradient (Santurkar et al. 2018, Fig. 4)", &panels, 3,
        format!("At each landscape probe the net takes trial steps of 0.25, 0.5, 1 and 2× the learning rate along −g on the current batch. Left: range of the loss over those steps (`smooth_loss_range`); middle: largest change of the gradient (`smooth_grad_change`, smaller = more predictive); right: largest ‖Δg‖/‖Δw‖ (`smooth_beta`, an effective smoothness constant). Lower is smoother; a panel whose values span more than {LOG_Y_SPAN}× uses a log scale; a probe whose trial step made the loss non-finite is drawn as × on the bottom edge.{seed_note}"), out)?;
    Ok(())
}
