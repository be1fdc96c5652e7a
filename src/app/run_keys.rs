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
            Action::Cursor(d) => self.chart.move_cursor(f64::from(d) / 40.0),
            Action::ZoomX(d) => self.chart.zoom_x(if d > 0 { 0.5 } else { 2.0 }),
            Action::PanX(d) => self.chart.pan_x(f64::from(d) * 0.25),
            Action::ZoomY(d) => {
                self.chart.y_zoom =
                    (self.chart.y_zoom * if d > 0 { 2.0 } else { 0.5 }).clamp(1.0, 1024.0)
            }
            Action::PanY(d) => self.chart.y_pan += f64::from(d) * 0.25 / self.chart.y_zoom,
            Action::YFrame => self.chart.y_full = !self.chart.y_full,
            Action::ResetView => self.chart.reset_view(),
            Action::PickMetric => self.open_picker(),
            Action::Target | Action::Hide | Action::Solo => self.series_action(action),
            other => return self.run_control(other),
        }
        None
    }

    /// Picking a variant and hiding or soloing it: over the variants of the shown run, so a
    /// new variant needs no new key.
    fn series_action(&mut self, action: Action) {
        let Some(run) = self.run.as_ref() else {
            return;
        };
        let vs = run.variants();
        if vs.is_empty() {
            return;
        }
        let at = self
            .chart
            .target
            .and_then(|t| vs.iter().position(|&v| v == t));
        match (action, at) {
            (Action::Target, _) => {
                self.chart.target = Some(vs[at.map_or(0, |i| (i + 1) % vs.len())]);
            }
            (Action::Hide, Some(i)) => self.chart.toggle_hidden(vs[i]),
            (Action::Solo, Some(i)) => self.chart.toggle_solo(vs[i]),
            _ => self.status = Some("t picks a variant first".into()),
        }
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
            Action::Restart if run.live => return self.guarded(Effect::Restart),
            Action::StepOnce if run.is_running() && run.paused => {
                self.status = Some("one more log interval, then paused again".into());
                return Some(Effect::StepOnce);
            }
            Action::StepOnce => {
                self.status = Some(". trains one log interval while paused (space pauses)".into())
            }
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
            Action::ClearOverlay => run.overlays.clear(),
            _ => {}
        }
        None
    }
}
