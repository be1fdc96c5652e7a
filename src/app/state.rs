//! The plain data of the UI state: screens, views, chart settings, what is known about the
//! data, and the effects a key can ask the runtime for.

use std::path::PathBuf;

use crate::data::fetch::approx_download_mb;
use crate::data::DatasetName;
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
    Stop,
    Restart,
    Export,
    Quit,
    /// Load a saved run, optionally with a second one overlaid.
    OpenRun {
        dir: PathBuf,
        overlay: Option<PathBuf>,
    },
    ScanRuns,
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
}

impl Default for ChartSettings {
    fn default() -> Self {
        Self {
            smoothing: 0.6,
            raw: false,
            x_axis: XAxis::Steps,
            log_loss: false,
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
