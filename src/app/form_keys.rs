//! Keys of the settings form.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Action, App, Effect, Form, Screen};
use crate::data::fetch::approx_download_mb;
use crate::data::DatasetName;

impl App {
    /// The dataset chosen in the form.
    pub fn form_dataset(&self) -> DatasetName {
        self.form.dataset()
    }

    pub(super) fn form_action(&mut self, action: Action, key: KeyEvent) -> Option<Effect> {
        match action {
            Action::Back => self.screen = Screen::Menu,
            Action::Up => self.form.move_focus(-1),
            Action::Down => self.form.move_focus(1),
            Action::Cycle(d) => {
                self.form.cycle(d.into());
                self.on_form_changed();
            }
            Action::Erase => self.form.backspace(),
            Action::Type => {
                if let KeyCode::Char(c) = key.code {
                    self.form.type_char(c);
                }
            }
            Action::Download => self.offer_download(self.form_dataset()),
            Action::Start if self.downloadable_missing(self.form_dataset()) => {
                // The form keeps saying how to get the data, should the offer be declined.
                self.form.error = self.form.to_config(&self.data.available).err();
                self.offer_download(self.form_dataset());
            }
            Action::Start => match self.form.to_config(&self.data.available) {
                Ok(c) => {
                    self.form.error = None;
                    return self.guarded(Effect::StartRun(Box::new(c)));
                }
                Err(e) => {
                    if let Some(row) = e.field.and_then(|f| self.form.row_of(f)) {
                        self.form.focus = row;
                    }
                    self.form.error = Some(e);
                }
            },
            _ => {}
        }
        None
    }

    fn downloadable_missing(&self, name: DatasetName) -> bool {
        approx_download_mb(name) > 0 && !self.data.available.contains(&name)
    }

    /// Changing the dataset reloads the preset's settings for it (epochs depend on its size).
    fn on_form_changed(&mut self) {
        let ds = self.form_dataset();
        if ds != self.form.base.dataset {
            let focus = self.form.focus;
            self.form = Form::new(self.form.preset, ds, &self.data.available);
            self.form.focus = focus;
        }
    }
}
