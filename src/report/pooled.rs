//! The report of a grid's pooled task folders. Each cell of the grid, pooled, is saved as a
//! run folder of its own (the same `config.json`, `metrics.csv` and `summary.csv` as the
//! same grid trained in one process would have), and `report.md` covers every cell.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::write::{load_run, run_section, write_records, DEFINITIONS, REPORT};
use crate::analysis::metrics::BLOWUP_MIN_RISE;
use crate::runs::{self, RunRecord};

/// `bnlab report DIR…`: the task folders of one grid pooled into one run, other folders
/// each in a section of their own.
pub fn write_report(run_dirs: &[PathBuf], out: Option<&Path>) -> anyhow::Result<PathBuf> {
    let first = run_dirs.first().context("no run folder given")?;
    let records = run_dirs
        .iter()
        .map(|d| load_run(d))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let pooled = runs::pool::pool(run_dirs.iter().cloned().zip(records).collect())
        .map_err(|e| crate::usage::UsageError::new("bnlab report", e.to_string()))?;
    match pooled {
        runs::pool::Pooled::Merged(cells) => write(cells, first, out),
        runs::pool::Pooled::Separate(runs) => {
            let (dirs, records): (Vec<PathBuf>, Vec<RunRecord>) = runs.into_iter().unzip();
            write_records(&dirs, records, out)
        }
    }
}

/// Where the pool goes without `--out`: beside the first task folder.
pub fn default_dir(first: &Path) -> PathBuf {
    let name = first
        .file_name()
        .map_or("run".into(), |n| n.to_string_lossy().into_owned());
    first.with_file_name(format!("{name}-pooled"))
}

/// `depth=10 lr=0.5` as a folder name.
fn folder_name(label: &str) -> String {
    label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "=.-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn write(
    cells: Vec<(String, RunRecord, Vec<PathBuf>)>,
    first: &Path,
    out: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let out_dir = out.map_or_else(|| default_dir(first), Path::to_path_buf);
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let many = cells.len() > 1;
    let mut md = String::new();
    if many {
        let _ = writeln!(md, "# bnlab report: a grid of {} cells\n", cells.len());
    }
    for (i, (label, rec, from)) in cells.iter().enumerate() {
        let dir = if many {
            out_dir.join(folder_name(label))
        } else {
            out_dir.clone()
        };
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        crate::analysis::summary::save(rec, &dir)
            .with_context(|| format!("saving the pooled run in {}", dir.display()))?;
        let (prefix, h) = if many {
            (format!("cell{}-", i + 1), "##")
        } else {
            (String::new(), "#")
        };
        let mut section = run_section(rec, &dir, &out_dir, &prefix, h)?;
        let names: Vec<String> = from.iter().map(|d| format!("`{}`", d.display())).collect();
        let cell = if label.is_empty() {
            String::new()
        } else {
            format!(" at **{label}**")
        };
        let note = format!(
            "\nPooled{cell} from {} task folders ({}): each seed of each folder is one seed of \
             the groups below, and every paired interval uses all of them.\n\n",
            from.len(),
            names.join(", ")
        );
        if many {
            section = section.replacen("bnlab report: ", &format!("bnlab report, {label}: "), 1);
        }
        // After the title line, before the verdict.
        let at = section.find("\n\n").map_or(section.len(), |i| i + 1);
        section.insert_str(at, &note);
        md.push_str(&section);
    }
    md.push_str(&DEFINITIONS.replace("BLOWUP", &BLOWUP_MIN_RISE.to_string()));
    let path = out_dir.join(REPORT);
    runs::save::write_atomic(&path, md.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}
