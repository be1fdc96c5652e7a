//! The plain data of the UI state: screens, views, chart settings, what is known about the
//! data, and the effects a key can ask the runtime for.

use std::path::PathBuf;

use crate::data::fetch::approx_download_mb;
use crate::data::DatasetName;
use crate::metric::Metric;
use crate::model::Variant;
use crate::train::RunConfig;

use super::XAxis;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Menu,
    Form,
    Run,
    Browser,
    About,
}

/// The views of the run screen, cycled with tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Curves,
    Signals,
    Internals,
    About,
}

impl View {
    pub const ALL: [View; 4] = [View::Curves, View::Signals, View::Internals, View::About];
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }
}

/// What the runtime must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    StartRun(Box<RunConfig>),
    Pause,
    Resume,
    /// Resume for one log interval, then pause again.
    StepOnce,
    Stop,
    Restart,
    Export,
    Quit,
    /// Load a saved run with any number of others overlaid.
    OpenRun {
        dir: PathBuf,
        overlays: Vec<PathBuf>,
    },
    ScanRuns,
    /// Delete this run folder (the user said yes), then read the folder list again.
    DeleteRun(PathBuf),
    /// Download a dataset on a background thread.
    Fetch(DatasetName),
    CancelFetch,
    /// Warm the data of the current form's preset on `DatasetName` (after a download).
    LoadData(DatasetName),
    /// Write `report.md` for this run folder on a background thread.
    WriteReport(PathBuf),
    /// Save the current run into a new subfolder of this folder (after a failed save).
    SaveTo(PathBuf),
}

/// Chart settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartSettings {
    /// EMA factor in [0, 0.99].
    pub smoothing: f64,
    /// Draw raw values instead of smoothed ones.
    pub raw: bool,
    pub x_axis: XAxis,
    pub log_loss: bool,
    /// The y-axis spans every value instead of the informative part.
    pub y_full: bool,
    /// The part of the x range shown, as fractions of the whole.
    pub x_view: (f64, f64),
    /// Y zoom (1 = the framed range, 2 = half of it) and pan (in framed spans).
    pub y_zoom: f64,
    pub y_pan: f64,
    /// The readout cursor, as a fraction of the shown x range.
    pub cursor: Option<f64>,
    /// Variants hidden, one bit per position in `Variant::ALL`.
    pub hidden: u64,
    /// The only variant shown, when one is soloed.
    pub solo: Option<Variant>,
    /// The variant that hide and solo act on.
    pub target: Option<Variant>,
    /// What the left chart of the curves view shows instead of the loss.
    pub pick: Option<Pick>,
}

impl Default for ChartSettings {
    fn default() -> Self {
        Self {
            smoothing: 0.6,
            raw: false,
            x_axis: XAxis::Steps,
            log_loss: false,
            y_full: false,
            x_view: (0.0, 1.0),
            y_zoom: 1.0,
            y_pan: 0.0,
            cursor: None,
            hidden: 0,
            solo: None,
            target: None,
            pick: None,
        }
    }
}

impl ChartSettings {
    fn bit(v: Variant) -> u64 {
        let i = Variant::ALL.iter().position(|&w| w == v).unwrap_or(0);
        1u64 << (i % 64)
    }

    /// Whether `v`'s lines are drawn.
    pub fn shows(&self, v: Variant) -> bool {
        match self.solo {
            Some(s) => s == v,
            None => self.hidden & Self::bit(v) == 0,
        }
    }

    pub fn toggle_hidden(&mut self, v: Variant) {
        self.solo = None;
        self.hidden ^= Self::bit(v);
    }

    pub fn toggle_solo(&mut self, v: Variant) {
        self.solo = if self.solo == Some(v) { None } else { Some(v) };
    }

    /// Whether the view is zoomed, panned or has a cursor (what `0` resets).
    pub fn zoomed(&self) -> bool {
        self.x_view != (0.0, 1.0) || self.y_zoom != 1.0 || self.y_pan != 0.0
    }

    /// Zooms x by `factor` (< 1 narrows) around the cursor, or the centre without one.
    pub fn zoom_x(&mut self, factor: f64) {
        let (a, b) = self.x_view;
        let w = ((b - a) * factor).clamp(1.0 / 1024.0, 1.0);
        let at = a + (b - a) * self.cursor.unwrap_or(0.5);
        let lo = (at - w * self.cursor.unwrap_or(0.5)).clamp(0.0, 1.0 - w);
        self.x_view = (lo, lo + w);
    }

    /// Pans x by `by` widths of the view, staying inside the data.
    pub fn pan_x(&mut self, by: f64) {
        let (a, b) = self.x_view;
        let w = b - a;
        let lo = (a + by * w).clamp(0.0, 1.0 - w);
        self.x_view = (lo, lo + w);
    }

    /// Moves the cursor by `by` of the view's width; the first move places it at the right.
    pub fn move_cursor(&mut self, by: f64) {
        self.cursor = Some(match self.cursor {
            None => 1.0,
            Some(c) => (c + by).clamp(0.0, 1.0),
        });
    }

    pub fn reset_view(&mut self) {
        self.x_view = (0.0, 1.0);
        self.y_zoom = 1.0;
        self.y_pan = 0.0;
        self.cursor = None;
    }
}

/// A series the metric picker can put on the left chart.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Metric(Metric),
    /// Inference-mode train accuracy minus validation accuracy, point by point.
    Gap,
}

impl Pick {
    pub fn label(self) -> String {
        match self {
            Pick::Metric(m) => m.to_string(),
            Pick::Gap => "train-val gap".into(),
        }
    }
}

/// What is known about the data.
#[derive(Debug, Clone, PartialEq)]
pub struct DataState {
    /// Preselected dataset: full MNIST when found, else mnist-5k.
    pub best: DatasetName,
    pub available: Vec<DatasetName>,
    /// One line shown when full MNIST is missing.
    pub note: Option<String>,
    /// Background loading status, e.g. "loading mnist-5k…" or "mnist-5k ready: …".
    pub status: String,
    pub loading: bool,
}

impl DataState {
    pub fn new(available: Vec<DatasetName>) -> Self {
        let best = if available.contains(&DatasetName::Mnist) {
            DatasetName::Mnist
        } else {
            DatasetName::Mnist5k
        };
        let note = (best != DatasetName::Mnist).then(|| {
            format!(
                "No full MNIST, so mnist-5k is used. Press d to download it ({} MB) or run `bnlab data fetch mnist`.",
                approx_download_mb(DatasetName::Mnist)
            )
        });
        Self {
            best,
            available,
            note,
            status: String::new(),
            loading: false,
        }
    }
}
