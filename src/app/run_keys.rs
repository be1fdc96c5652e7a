//! Keys of the run screen: views, chart settings, and control of the live run.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Action, App, Effect, Screen, View};

impl App {
    pub(super) fn run_action(&mut self, action: Action, key: KeyEvent) -> Option<Effect> {
        let views = View::ALL.len();
        match action {
            Action::Back => {
                self.screen = self.run_back;
                return (self.run_back == Screen::Browser).then_some(Effect::ScanRuns);
            }
            Action::NextView => self.view = View::ALL[(self.view.index() + 1) % views],
            Action::PrevView => self.view = View::ALL[(self.view.index() + views - 1) % views],
            Action::ViewN => {
                if let KeyCode::Char(c @ '1'..='4') = key.code {
                    self.view = View::ALL[c as usize - '1' as usize];
                }
            }
            Action::XAxis => self.chart.x_axis = self.chart.x_axis.next(),
            Action::LogLoss => self.chart.log_loss = !self.chart.log_loss,
            Action::Raw => self.chart.raw = !self.chart.raw,
            Action::SmoothMore => {
                self.chart.smoothing =
                    ((self.chart.smoothing * 100.0).round() + 5.0).min(99.0) / 100.0
            }
            Action::SmoothLess => {
                self.chart.smoothing =
                    ((self.chart.smoothing * 100.0).round() - 5.0).max(0.0) / 100.0
            }
            other => return self.run_control(other),
        }
        None
    }

    /// The keys that act on the run itself.
    fn run_control(&mut self, action: Action) -> Option<Effect> {
        let run = self.run.as_mut()?;
        match action {
            Action::Pause if run.is_running() => {
                run.paused = !run.paused;
                return Some(if run.paused {
                    Effect::Pause
                } else {
                    Effect::Resume
                });
            }
            Action::Stop if run.is_running() => {
                run.stop_requested = true;
                run.paused = false;
                self.status =
                    Some("stopping: the run is saved when the trainers have stopped".into());
                return Some(Effect::Stop);
            }
            Action::Restart if run.live => return Some(Effect::Restart),
            Action::Export => return Some(Effect::Export),
            Action::Report => {
                // The report reads the run folder, so only a finished, saved run has one.
                match (&run.saved_dir, run.is_running()) {
                    (Some(dir), false) => {
                        let dir = dir.clone();
                        self.status = Some(format!("writing the report for {}…", dir.display()));
                        return Some(Effect::WriteReport(dir));
                    }
                    (_, true) => self.status = Some(
                        "the report is written from a saved run: wait for the end or stop it (s)"
                            .into(),
                    ),
                    (None, false) => {
                        self.status =
                            Some("this run is not saved yet: press e to save it first".into())
                    }
                }
            }
            Action::NextPoint => {
                run.follow_point = false;
                run.point = (run.point + 1).min(run.points().saturating_sub(1))
            }
            Action::PrevPoint => {
                run.follow_point = false;
                run.point = run.point.saturating_sub(1)
            }
            Action::Up => run.layer = run.layer.saturating_sub(1).max(1),
            Action::Down => run.layer = (run.layer + 1).min(run.hidden_layers().max(1)),
            Action::UnitBands => run.unit_bands = !run.unit_bands,
            Action::ClearOverlay => run.overlay = None,
            _ => {}
        }
        None
    }
}
