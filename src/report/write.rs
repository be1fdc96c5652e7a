//! `report.md`: setup, metrics table, charts and a discussion derived from the numbers.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::discuss::{discussion, Pair};
use super::figures;
use crate::analysis::compare::{Groups, TABLE};
use crate::analysis::fmt::{cell, effect, int, pct};
use crate::analysis::metrics::{BLOWUP_MIN_RISE, CHANCE_BAND};
use crate::runs::{self, RunRecord};

pub const REPORT: &str = "report.md";

/// Reads a run folder, failing with the file (and line) that is wrong.
pub fn load_run(dir: &Path) -> anyhow::Result<RunRecord> {
    let record =
        runs::load(dir).with_context(|| format!("reading run folder {}", dir.display()))?;
    if record.jobs.iter().all(|j| j.rows.is_empty()) {
        anyhow::bail!(
            "{}: no measurements (the file has a header but no rows)",
            dir.join(runs::folder::METRICS).display()
        );
    }
    Ok(record)
}

/// Writes `report.md` and its SVG charts for `run_dirs` into `out` (default: the first run
/// folder) and returns the path of `report.md`.
pub fn write_report(run_dirs: &[PathBuf], out: Option<&Path>) -> anyhow::Result<PathBuf> {
    let records = run_dirs
        .iter()
        .map(|d| load_run(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    write_records(run_dirs, records, out)
}

/// [`write_report`] for records already read from `run_dirs`.
pub fn write_records(
    run_dirs: &[PathBuf],
    records: Vec<RunRecord>,
    out: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let first = run_dirs.first().context("no run folder given")?;
    let out_dir = out.unwrap_or(first).to_path_buf();
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let mut md = String::new();
    let many = records.len() > 1;
    if many {
        let _ = writeln!(md, "# bnlab report: {} runs\n", records.len());
    }
    for (i, (rec, dir)) in records.iter().zip(run_dirs).enumerate() {
        let prefix = if many {
            format!("run{}-", i + 1)
        } else {
            String::new()
        };
        md.push_str(&run_section(
            rec,
            dir,
            &out_dir,
            &prefix,
            if many { "##" } else { "#" },
        )?);
    }
    md.push_str(&DEFINITIONS.replace("BLOWUP", &BLOWUP_MIN_RISE.to_string()));
    let path = out_dir.join(REPORT);
    runs::save::write_atomic(&path, md.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

fn setup(rec: &RunRecord, dir: &Path) -> String {
    let c = &rec.config;
    let mut md = String::new();
    let preset = crate::presets::find(&c.preset);
    if let Some(p) = preset {
        let _ = writeln!(
            md,
            "Preset **{}** ({}). Claim under test: *{}*. What to look at: {}.\n",
            p.name, p.title, p.claim, p.look_at
        );
    } else {
        let _ = writeln!(md, "Custom run (preset `{}`).\n", c.preset);
    }
    let seeds: Vec<String> = (0..c.seeds as u64)
        .map(|s| (c.seed + s).to_string())
        .collect();
    let length = match c.steps {
        Some(s) => format!("{} steps", int(s as f64)),
        None => format!("{} epochs", c.epochs),
    };
    let rows: Vec<(&str, String)> = vec![
        ("run folder", format!("`{}`", dir.display())),
        (
            "data",
            format!(
                "{} ({}): {} training, {} validation, {} test images{}",
                c.dataset,
                rec.data_info.origin,
                int(rec.data_info.train as f64),
                int(rec.data_info.val as f64),
                int(rec.data_info.test as f64),
                if c.split.standardize {
                    ", standardized"
                } else {
                    ", pixels scaled to [0, 1]"
                }
            ),
        ),
        (
            "network",
            format!(
                "MLP 784 → {} hidden layers of 100 {} units → 10",
                c.depth, c.activation
            ),
        ),
        (
            "variants",
            c.variants
                .iter()
                .map(|v| v.label())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        ("initialization", c.init.to_string()),
        (
            "optimizer",
            format!(
                "{} (learning rate {}, momentum {})",
                c.optimizer, c.lr, c.momentum
            ),
        ),
        ("batch size", c.batch_size.to_string()),
        ("length", length),
        (
            "seeds",
            format!(
                "{} ({}); each seed gives both variants the same initial weights and batches",
                c.seeds,
                seeds.join(", ")
            ),
        ),
        (
            "logging",
            format!(
                "training metrics every {} steps; validation {}",
                c.log_every,
                if c.eval_every > 0 {
                    format!("every {} steps", c.eval_every)
                } else {
                    "about 4 times per epoch".into()
                }
            ),
        ),
    ];
    md.push_str("| setting | value |\n|---|---|\n");
    for (k, v) in rows {
        let _ = writeln!(md, "| {k} | {v} |");
    }
    if let Some(s) = &c.sweep {
        let vals: Vec<String> = s.values.iter().map(|v| v.to_string()).collect();
        let _ = writeln!(
            md,
            "| sweep | {}: {} (each value overrides the setting above) |",
            s.param.as_str(),
            vals.join(", ")
        );
    }
    md.push_str("\nAll numbers below come from `metrics.csv`, `summary.csv` and `timing.csv` in the run folder; `config.json` holds the full configuration.\n\n");
    md
}

fn metrics_table(g: &Groups, point: usize) -> String {
    let Some(base) = g.baseline() else {
        return String::new();
    };
    let others: Vec<_> = g.variants.iter().copied().filter(|v| *v != base).collect();
    let mut h = vec!["metric".to_string()];
    h.extend(g.variants.iter().map(|v| v.label().to_string()));
    h.extend(
        others
            .iter()
            .map(|v| format!("{} vs {} (paired)", v.as_str(), base.as_str())),
    );
    h.push("source".into());
    let mut md = format!("| {} |\n|{}\n", h.join(" | "), "---|".repeat(h.len()));
    // Landscape rows only for runs that probed it (the smoothness preset).
    let landscape = crate::analysis::compare::LANDSCAPE
        .into_iter()
        .chain(crate::analysis::compare::LANDSCAPE_LATE)
        .filter(|m| g.jobs.iter().any(|j| (m.get)(j).is_some()));
    for m in TABLE.into_iter().chain(landscape) {
        let mut row = vec![m.label.to_string()];
        for v in &g.variants {
            row.push(cell(m, &g.of(point, *v)));
        }
        for v in &others {
            let p = crate::analysis::compare::paired(m, &g.of(point, base), &g.of(point, *v));
            row.push(p.map_or("–".into(), |p| {
                let mark = if p.clear { " **clear**" } else { "" };
                format!("{}{mark}", effect(m, &p))
            }));
        }
        row.push(m.source.to_string());
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md.push_str("\nPaired columns: the difference (other − baseline, accuracy in percentage points) or the ratio (other ÷ baseline, geometric mean over seeds), computed seed by seed. With several seeds the 95% interval is a Student-t interval; **clear** marks an interval that excludes 0 (or 1×). With one seed no interval exists and **clear** means beyond the one-seed rule (> 0.5 pp, or a ratio beyond 1.2×), which is indicative only. `n/m seeds reached` means a threshold was not reached in every seed, so no mean is given.\n\n");
    md
}

fn per_seed_table(g: &Groups, param: Option<&str>) -> String {
    let mut cols = vec!["variant", "seed"];
    cols.extend(param);
    cols.extend([
        "status",
        "final val acc",
        "best val acc (step)",
        "test acc",
        "steps→90% (epoch)",
        "steps→95% (epoch)",
        "steps→97% (epoch)",
        "train−val gap",
        "loss std (tail)",
        "wall time",
    ]);
    let mut md = format!("| {} |\n|{}\n", cols.join(" | "), "---|".repeat(cols.len()));
    let o = |v: Option<f64>, f: &dyn Fn(f64) -> String| v.map_or("–".to_string(), f);
    for j in &g.jobs {
        let reach = |i: usize| {
            j.reach[i].map_or("never".into(), |r| {
                format!("{} ({:.2})", int(r.step as f64), r.epoch)
            })
        };
        let mut row = vec![j.variant.label().to_string(), j.seed.to_string()];
        if param.is_some() {
            row.push(crate::analysis::fmt::value_str(j.point_value));
        }
        row.extend([
            j.status.to_string(),
            o(j.final_val_acc.map(|p| p.1), &pct),
            j.best_val_acc.map_or("–".into(), |(s, a)| {
                format!("{} ({})", pct(a), int(s as f64))
            }),
            o(j.test_acc, &pct),
            reach(0),
            reach(1),
            reach(2),
            o(j.gap, &|g| format!("{:+.2} pp", g * 100.0)),
            o(j.loss_tail_std, &|s| format!("{s:.4}")),
            format!("{:.2} s", j.elapsed_s),
        ]);
        let _ = writeln!(md, "| {} |", row.join(" | "));
    }
    md
}

pub(super) fn run_section(
    rec: &RunRecord,
    dir: &Path,
    out_dir: &Path,
    prefix: &str,
    h: &str,
) -> anyhow::Result<String> {
    let g = Groups::of_record(rec);
    let title = crate::presets::find(&rec.config.preset)
        .map_or(rec.config.preset.clone(), |p| p.title.to_string());
    let mut md = format!(
        "{h} bnlab report: {title}\n\n{}",
        verdict_section(rec, &g, h)
    );
    let _ = write!(md, "{h}# Setup\n\n{}", setup(rec, dir));
    let figs = figures::write_all(rec, out_dir, prefix)?;
    let base = g.baseline();
    let others: Vec<_> = g
        .variants
        .iter()
        .copied()
        .filter(|v| Some(*v) != base)
        .collect();
    let _ = writeln!(md, "{h}# Results\n");
    if let Some(s) = &rec.config.sweep {
        let param = s.param.as_str();
        md.push_str(&super::sweep::table(&g, param));
        let _ = writeln!(md, "\n`diverged` means training was stopped because the loss became non-finite or stayed far above its start; such points have no number. `did not learn` means the final validation accuracy stayed below {} (chance is 10%). Best val acc and steps→95% come from `val_acc` in metrics.csv (mean ± std over seeds when there are several).\n", pct(CHANCE_BAND));
    } else {
        md.push_str(&metrics_table(&g, 0));
    }
    let _ = writeln!(
        md,
        "Per trainer:\n\n{}",
        per_seed_table(&g, rec.config.sweep.as_ref().map(|s| s.param.as_str()))
    );
    if !figs.is_empty() {
        let _ = writeln!(md, "{h}# Charts\n");
        for f in &figs {
            let _ = writeln!(md, "![{}]({})\n\n*{}*\n", f.file, f.file, f.caption);
        }
    }
    let _ = writeln!(md, "{h}# Discussion\n");
    let Some(base) = base else { return Ok(md) };
    if others.is_empty() {
        let _ = writeln!(
            md,
            "Only one variant ({}) was trained, so there is nothing to compare.\n",
            base.label()
        );
        return Ok(md);
    }
    for other in others {
        if let Some(s) = &rec.config.sweep {
            let _ = writeln!(
                md,
                "{h}## {} vs {} across the sweep\n",
                other.label(),
                base.label()
            );
            md.push_str(&super::sweep::discussion(&g, s.param.as_str(), base, other));
            md.push('\n');
        } else {
            let _ = writeln!(md, "{h}## {} vs {}\n", other.label(), base.label());
            let (text, _) = discussion(&Pair::new(&g, 0, base, other));
            md.push_str(&text);
            md.push('\n');
        }
    }
    // The placement question: does it matter where BN goes?
    let (bn, after) = (crate::model::Variant::Bn, crate::model::Variant::BnAfter);
    if rec.config.sweep.is_none() && g.variants.contains(&bn) && g.variants.contains(&after) {
        let _ = writeln!(md, "{h}## {} vs {}\n", after.label(), bn.label());
        let (text, _) = discussion(&Pair::new(&g, 0, bn, after));
        md.push_str(&text);
        md.push('\n');
    }
    Ok(md)
}

/// The claim and what the run says of it, first, so a reader sees the conclusion before
/// the numbers behind it.
fn verdict_section(rec: &RunRecord, g: &Groups, h: &str) -> String {
    let Some(v) = crate::analysis::verdict::judge_run(rec, g) else {
        return String::new();
    };
    let mut md = format!(
        "{h}# Verdict\n\n**Claim:** {}.\n\n**Verdict: {}.**\n\n",
        v.claim,
        v.label()
    );
    for d in &v.deciding {
        let _ = writeln!(md, "- {d}");
    }
    md.push('\n');
    for n in &v.notes {
        let _ = writeln!(md, "{n}\n");
    }
    md
}

pub(super) const DEFINITIONS: &str = "\n## How the numbers are defined\n\n\
- **steps / epochs to 90, 95, 97%**: the first validation pass whose `val_acc` is at or above the threshold (its `step` and `epoch` columns). Validation runs about 4 times per epoch unless `eval_every` is set, and densely where a threshold is crossed (see the resolution below). *never* means the threshold was not reached within the run.\n\
- **area under the validation-loss curve**: trapezoids of `val_loss` against `epoch`, in loss × epochs; lower means the loss fell sooner. Only compared between trainers that ran the same length.\n\
- **final / best validation accuracy, test accuracy**: last and highest `val_acc`; `test_acc` once at the end on the held-out test split.\n\
- **train − validation gap**: the last `train_eval_acc` (inference mode, as validation is measured, on a fixed part of the training set of up to 5,000 images; runs with `train_eval`, e.g. the generalization preset) minus the last `val_acc`; other runs use the last `train_acc` (mean over the last `log_every` steps, in training mode, i.e. with batch statistics for BN).\n\
- **relative loss fluctuation (tail)**: over the last 20% of the logged `train_loss` values (at least 5), the standard deviation of ln(loss) around its least-squares line in the step. It is the same for a loss at any level (a loss `c` times another has the same value), so a net is not called less stable for having reached a lower loss; 0.1 means about ±10%. This is the stability measure verdicts use.\n\
- **loss std (tail)**: sample standard deviation of the same values in loss units; it shrinks with the loss level, so it is shown for reference and decides nothing.\n\
- **largest loss spike**: the largest factor by which logged `train_loss` rose above its lowest earlier value (×1 = never rose). **Loss blow-ups**: times it at least doubled that low *and* rose by more than BLOWUP of its first value.\n\
- **seed-to-seed spread**: the standard deviation over seeds of a variant's final validation accuracy.\n\
- **steps to a threshold, resolution**: between two evaluations every trainer keeps its net every 50 steps; when an evaluation finds a threshold crossed, the kept nets are evaluated in order, so a step count is exact to 50 steps (or to the evaluation interval, when it is shorter). At most 32 nets are kept per interval, so with an evaluation interval over 1,600 steps the kept nets thin out evenly and the resolution is about a 16th to a 32nd of the interval.\n\
- **verdict**: each preset's claim is decided by one or two paired per-seed numbers (listed under the verdict, and in `docs/batchnorm.md`). *Supported* when every part clearly favours the claim, *contradicted* when parts clearly go against it and none for it, *mixed* when they disagree, *not supported* when no part is clear. Clear means at least 3 paired seeds and a 95% CI that excludes no effect; with fewer seeds the verdict is marked indicative.\n\
- **loss landscape** (smoothness preset; Santurkar et al. 2018): every `smooth_every` steps, from the current weights w and gradient g on the current batch, trial steps of η = 0.25, 0.5, 1 and 2× the learning rate along −g. `smooth_loss_range` is max − min of the loss after those steps, `smooth_grad_change` the largest ‖g(w − ηg) − g(w)‖, `smooth_beta` the largest ‖g(w − ηg) − g(w)‖ / ‖ηg‖. The report averages each over all probes and over the second half of them; lower is smoother. The first two grow with the step length η‖g‖; β does not.\n\
- **units switched off** (bn-only preset; Frankle et al. 2020): at every probe, per hidden BN, `bn_gamma_off.lN` is the fraction of its units with |γ| < 0.05, whose output is then nearly constant. The `bn-only`, `bn-random` and `bn-frozen` arms keep their hidden weights at their init (and, but for `bn-only`, γ and β): after every optimizer step those parameters are put back, so they train exactly 2 parameters per hidden unit (γ and β, or two random input weights) or none, with the output layer.\n\
- **wall time, samples/s**: `elapsed_s` and `samples_per_sec` from `timing.csv`.\n\
- **paired comparison**: seed s of one variant is compared with seed s of the other (same initial weights and batch order). Differences for accuracies, ratios (geometric mean) for steps, areas, spreads and times. 95% intervals use Student's t with n − 1 degrees of freedom; `summary.csv` holds, after one row per trainer, aggregate rows whose `seed` column reads `mean` and `std` (per variant) or `diff_mean`, `diff_ci95_low`, `diff_ci95_high` (paired other − baseline, as plain differences of every column).\n";
