//! The saved-runs browser: the run folders on disk with how each ended and its best
//! validation accuracy, sorted and filtered; one selected, any number marked to overlay on
//! it (tagged B, C, … in the order they were marked). Marks follow folders, not rows, so a
//! new sort, a filter or a rescan keeps them, and a deleted folder drops out.

use std::path::{Path, PathBuf};

use crate::analysis::glance::{self, Glance};
use crate::runs;
use crate::train::RunConfig;

#[derive(Debug, Clone, PartialEq)]
pub struct RunEntry {
    pub dir: PathBuf,
    pub name: String,
    pub preset: String,
    pub dataset: String,
    /// `2026-12-02 17:44`: from the folder's name, else from the time in its config.
    pub date: String,
    /// Seeds per variant: those that trained, else those the config asked for.
    pub seeds: usize,
    /// The settings in one line, or why the folder cannot be read.
    pub detail: String,
    /// The parameter a sweep varies.
    pub swept: Option<&'static str>,
    /// How the run ended and its accuracies, or why they cannot be read.
    pub glance: Result<Glance, String>,
}

impl RunEntry {
    /// Reads what the browser shows of `dir`: its config and its `summary.csv`, never its
    /// metrics, so a folder of long runs lists quickly.
    pub fn read(dir: PathBuf) -> Self {
        let name = dir
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
        match runs::folder::load_config(&dir) {
            Ok(f) => {
                let glance = glance::read(&dir, &f.config).map_err(|e| e.to_string());
                let seeds = glance.as_ref().map_or(f.config.seeds, |g| g.seeds);
                Self {
                    date: stamp_date(&name).unwrap_or_else(|| created_date(&f.created)),
                    preset: f.config.preset.clone(),
                    dataset: f.config.dataset.to_string(),
                    seeds,
                    detail: detail(&f.config),
                    swept: f.config.sweep.as_ref().map(|s| s.param.as_str()),
                    glance,
                    dir,
                    name,
                }
            }
            Err(e) => Self {
                date: stamp_date(&name).unwrap_or_default(),
                preset: "?".into(),
                dataset: "?".into(),
                seeds: 0,
                detail: format!("unreadable: {e}"),
                swept: None,
                glance: Err(e.to_string()),
                dir,
                name,
            },
        }
    }

    /// The word of the status column.
    pub fn status(&self) -> &'static str {
        self.glance
            .as_ref()
            .map_or("unreadable", |g| g.ending.as_str())
    }

    fn haystack(&self) -> String {
        let variants: Vec<String> = self.glance.as_ref().map_or(Vec::new(), |g| {
            g.best.iter().map(|b| b.variant.as_str().into()).collect()
        });
        format!(
            "{} {} {} {} {} {}",
            self.name,
            self.preset,
            self.dataset,
            self.status(),
            self.detail,
            variants.join(" ")
        )
        .to_lowercase()
    }
}

/// `20261202-174455-preset` → `2026-12-02 17:44`, the stamp bnlab gives a new run folder.
fn stamp_date(name: &str) -> Option<String> {
    let b = name.as_bytes();
    let digits =
        |r: std::ops::Range<usize>| b.get(r).is_some_and(|s| s.iter().all(u8::is_ascii_digit));
    if !(digits(0..8) && b.get(8) == Some(&b'-') && digits(9..15)) {
        return None;
    }
    let s = |r: std::ops::Range<usize>| &name[r];
    Some(format!(
        "{}-{}-{} {}:{}",
        s(0..4),
        s(4..6),
        s(6..8),
        s(9..11),
        s(11..13)
    ))
}

/// `2026-12-02T17:44:55.1+01:00` → `2026-12-02 17:44`; anything else as it is.
fn created_date(created: &str) -> String {
    match (created.get(..10), created.get(11..16)) {
        (Some(d), Some(t)) => format!("{d} {t}"),
        _ => created.to_string(),
    }
}

/// Preset, data and settings; a sweep is named by its parameter and values, and the setting
/// it varies is left out of the rest (a learning-rate sweep shows no single `lr`).
pub fn detail(c: &RunConfig) -> String {
    use crate::train::SweepParam as P;
    let swept = c.sweep.as_ref().map(|s| s.param);
    let variants: Vec<&str> = c.variants.iter().map(|v| v.as_str()).collect();
    let mut parts = vec![format!("{} on {}", c.preset, c.dataset), variants.join("+")];
    // Right after the variants: it is what the run is about, so it is the last to be cut.
    if let Some(s) = &c.sweep {
        let v: Vec<String> = s.values.iter().map(|x| x.to_string()).collect();
        parts.push(format!("{} sweep {}", s.param.as_str(), v.join(", ")));
    }
    if swept != Some(P::LearningRate) {
        parts.push(format!("lr {}", c.lr));
    }
    if swept != Some(P::BatchSize) {
        parts.push(format!("batch {}", c.batch_size));
    }
    if swept != Some(P::Depth) {
        parts.push(format!("depth {}", c.depth));
    }
    parts.push(format!("{} epochs", c.epochs));
    parts.push(c.activation.as_str().to_string());
    parts.join("  ")
}

/// What the list is ordered by; `s` goes to the next one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest first.
    #[default]
    Date,
    Preset,
    Dataset,
    /// Worst first: failed, interrupted, unfinished, diverged, finished; unreadable last.
    Status,
    /// Highest best validation accuracy (of any variant) first.
    Accuracy,
    /// Most seeds first.
    Seeds,
}

impl Sort {
    pub const ALL: [Sort; 6] = [
        Sort::Date,
        Sort::Preset,
        Sort::Dataset,
        Sort::Status,
        Sort::Accuracy,
        Sort::Seeds,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Sort::Date => "date",
            Sort::Preset => "preset",
            Sort::Dataset => "dataset",
            Sort::Status => "status",
            Sort::Accuracy => "best val acc",
            Sort::Seeds => "seeds",
        }
    }

    fn next(self) -> Self {
        let i = Self::ALL.iter().position(|s| *s == self).unwrap_or(0);
        Self::ALL[(i + 1) % Self::ALL.len()]
    }

    fn cmp(self, a: &RunEntry, b: &RunEntry) -> std::cmp::Ordering {
        let ending = |e: &RunEntry| e.glance.as_ref().ok().map(|g| g.ending);
        let top = |e: &RunEntry| e.glance.as_ref().ok().and_then(Glance::top);
        let newest = (&b.date, &b.name).cmp(&(&a.date, &a.name));
        match self {
            Sort::Date => newest,
            Sort::Preset => a.preset.cmp(&b.preset).then(newest),
            Sort::Dataset => a.dataset.cmp(&b.dataset).then(newest),
            Sort::Status => ending(b).cmp(&ending(a)).then(newest),
            Sort::Accuracy => top(b)
                .partial_cmp(&top(a))
                .unwrap_or(std::cmp::Ordering::Equal)
                .then(newest),
            Sort::Seeds => b.seeds.cmp(&a.seeds).then(newest),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Browser {
    /// Every run folder found, in no particular order.
    pub entries: Vec<RunEntry>,
    /// The entries shown, as indices into `entries`: filtered, then sorted.
    pub order: Vec<usize>,
    /// Position in `order`.
    pub selected: usize,
    /// Marked runs, in the order they were marked.
    pub marked: Vec<PathBuf>,
    pub sort: Sort,
    pub reversed: bool,
    /// Words that every shown run has somewhere in its name, settings or status.
    pub filter: String,
    /// Keys go into the filter.
    pub filtering: bool,
    pub error: Option<String>,
}

impl Browser {
    /// Reads the run folders under `parent`, newest first.
    pub fn scan(parent: &Path) -> Self {
        let mut b = Self::default();
        b.rescan(parent);
        b.selected = 0;
        b
    }

    /// Reads the folders again, keeping the sort, the filter, the marks of the folders still
    /// there and the selected folder when it is still shown.
    pub fn rescan(&mut self, parent: &Path) {
        let keep = self.selected_dir().map(Path::to_path_buf);
        self.entries = runs::list(parent).into_iter().map(RunEntry::read).collect();
        let entries = &self.entries;
        self.marked.retain(|m| entries.iter().any(|e| &e.dir == m));
        self.arrange(keep.as_deref());
    }

    /// Filters and sorts again, staying on `keep` if it is still shown.
    fn arrange(&mut self, keep: Option<&Path>) {
        let words: Vec<String> = self
            .filter
            .split_whitespace()
            .map(str::to_lowercase)
            .collect();
        let mut order: Vec<usize> = (0..self.entries.len())
            .filter(|&i| {
                let hay = self.entries[i].haystack();
                words.iter().all(|w| hay.contains(w.as_str()))
            })
            .collect();
        let (sort, e) = (self.sort, &self.entries);
        order.sort_by(|&a, &b| sort.cmp(&e[a], &e[b]));
        if self.reversed {
            order.reverse();
        }
        self.order = order;
        let at = keep.and_then(|k| self.order.iter().position(|&i| self.entries[i].dir == k));
        self.selected = at.unwrap_or(self.selected);
        self.move_by(0);
    }

    fn rearrange(&mut self) {
        let keep = self.selected_dir().map(Path::to_path_buf);
        self.arrange(keep.as_deref());
    }

    pub fn next_sort(&mut self) {
        self.sort = self.sort.next();
        self.rearrange();
    }

    pub fn reverse(&mut self) {
        self.reversed = !self.reversed;
        self.rearrange();
    }

    pub fn set_filter(&mut self, filter: String) {
        self.filter = filter;
        self.rearrange();
    }

    /// The runs shown, in order.
    pub fn shown(&self) -> impl Iterator<Item = &RunEntry> + '_ {
        self.order.iter().filter_map(|&i| self.entries.get(i))
    }

    pub fn shown_len(&self) -> usize {
        self.order.len()
    }

    pub fn selected_entry(&self) -> Option<&RunEntry> {
        self.order
            .get(self.selected)
            .and_then(|&i| self.entries.get(i))
    }

    pub fn move_by(&mut self, delta: isize) {
        if self.order.is_empty() {
            self.selected = 0;
            return;
        }
        let n = self.order.len() as isize;
        self.selected = (self.selected as isize + delta).clamp(0, n - 1) as usize;
    }

    pub fn toggle_mark(&mut self) {
        let Some(dir) = self.selected_dir().map(Path::to_path_buf) else {
            return;
        };
        match self.marked.iter().position(|m| *m == dir) {
            Some(i) => {
                self.marked.remove(i);
            }
            None => self.marked.push(dir),
        }
    }

    /// Forgets a folder that is gone: its mark, and its row until the next scan.
    pub fn forget(&mut self, dir: &Path) {
        self.marked.retain(|m| m != dir);
        let keep = self.selected_dir().map(Path::to_path_buf);
        self.entries.retain(|e| e.dir != dir);
        self.arrange(keep.as_deref());
    }

    pub fn selected_dir(&self) -> Option<&Path> {
        self.selected_entry().map(|e| e.dir.as_path())
    }

    /// The marked runs other than the selected one, in the order they were marked.
    pub fn overlay_dirs(&self) -> Vec<PathBuf> {
        let sel = self.selected_dir();
        self.marked
            .iter()
            .filter(|m| Some(m.as_path()) != sel)
            .cloned()
            .collect()
    }

    /// The tag of the run in `dir` when it is marked (B for the first marked, then C, …).
    pub fn tag(&self, dir: &Path) -> Option<char> {
        let k = self.marked.iter().position(|m| m == dir)?;
        Some(char::from(b'B' + (k % 25) as u8))
    }
}

#[cfg(test)]
#[path = "browser_tests.rs"]
mod tests;
