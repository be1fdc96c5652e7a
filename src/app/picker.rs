//! The metric picker: every metric the shown run has recorded (the landscape probes, the
//! per-layer probes, whatever later trainers add), plus the train-validation gap, for the
//! left chart of the curves view; and the view each preset opens on, from what it says to
//! look at.

use super::{Action, App, Pick, View};
use crate::metric::{Layer, LayerMetric, Metric};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Picker {
    /// `None` is the default loss chart.
    pub items: Vec<Option<Pick>>,
    pub selected: usize,
}

impl Picker {
    pub fn label(item: Option<Pick>) -> String {
        item.map_or("loss: train and validation (default)".into(), Pick::label)
    }
}

/// The view a preset's run opens on and what its left chart shows, from the preset's
/// "look at"; presets not named here open on the loss and accuracy curves.
pub fn opening(preset: &str) -> (View, Option<Pick>) {
    match preset {
        "smoothness" => (View::Curves, Some(Pick::Metric(Metric::SmoothBeta))),
        "generalization" => (View::Curves, Some(Pick::Gap)),
        // The second hidden layer's BN is the first one a dropout can precede.
        "dropout" => (
            View::Curves,
            Some(Pick::Metric(LayerMetric::BnVarShift.of(Layer::Hidden(2)))),
        ),
        "deep" => (View::Internals, None),
        _ => (View::Curves, None),
    }
}

/// Whether a metric improves upward (accuracy), downward (loss), or neither.
pub fn kind(pick: Option<Pick>) -> super::framing::Kind {
    use super::framing::Kind;
    match pick {
        None => Kind::Lower,
        Some(Pick::Gap) => Kind::Other,
        Some(Pick::Metric(m)) => match m {
            Metric::TrainAcc | Metric::ValAcc | Metric::TestAcc | Metric::TrainEvalAcc => {
                Kind::Higher
            }
            Metric::TrainLoss | Metric::ValLoss | Metric::TestLoss | Metric::TrainEvalLoss => {
                Kind::Lower
            }
            _ => Kind::Other,
        },
    }
}

/// Whether a metric is logged every interval (and is smoothed), not at evaluations only.
pub fn per_step(m: Metric) -> bool {
    matches!(m, Metric::TrainLoss | Metric::TrainAcc | Metric::GradNorm)
}

impl App {
    pub(super) fn open_picker(&mut self) {
        let Some(run) = &self.run else {
            return;
        };
        let metrics = run.index.metrics();
        let mut items: Vec<Option<Pick>> = vec![None];
        if metrics.contains(&Metric::TrainEvalAcc) && metrics.contains(&Metric::ValAcc) {
            items.push(Some(Pick::Gap));
        }
        items.extend(metrics.into_iter().map(|m| Some(Pick::Metric(m))));
        let selected = items
            .iter()
            .position(|i| *i == self.chart.pick)
            .unwrap_or(0);
        self.picker = Some(Picker { items, selected });
    }

    /// Rows of the picker visible at once.
    pub fn picker_page(&self) -> usize {
        (self.size.1 as usize).saturating_sub(8).max(1)
    }

    pub(super) fn picker_action(&mut self, action: Action) {
        let page = self.picker_page() as isize;
        let Some(p) = self.picker.as_mut() else {
            return;
        };
        let n = p.items.len().max(1) as isize;
        let by = |d: isize| (p.selected as isize + d).clamp(0, n - 1) as usize;
        match action {
            Action::Up => p.selected = by(-1),
            Action::Down => p.selected = by(1),
            Action::PageUp => p.selected = by(-page),
            Action::PageDown => p.selected = by(page),
            Action::Open => {
                self.chart.pick = p.items.get(p.selected).copied().flatten();
                self.chart.reset_view();
                self.picker = None;
            }
            _ => self.picker = None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_preset_named_here_exists() {
        for name in ["smoothness", "generalization", "deep"] {
            assert!(crate::presets::find(name).is_some(), "{name}");
            assert_ne!(opening(name), (View::Curves, None), "{name}");
        }
    }
}
