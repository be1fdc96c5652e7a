//! The experiment menu: the presets, then the saved runs and the BatchNorm explainer.

use super::{Action, App, Effect, Form, Screen};
use crate::data::DatasetName;
use crate::presets::PRESETS;

/// Menu entries after the presets.
pub const MENU_EXTRA: [&str; 2] = ["Saved runs", "About BatchNorm"];

impl App {
    pub fn menu_len(&self) -> usize {
        PRESETS.len() + MENU_EXTRA.len()
    }

    pub(super) fn open_menu_entry(&mut self) -> Option<Effect> {
        if self.menu < PRESETS.len() {
            self.form = Form::new(self.menu, self.data.best, &self.data.available);
            self.screen = Screen::Form;
            None
        } else if self.menu == PRESETS.len() {
            self.open_browser()
        } else {
            self.open_about();
            None
        }
    }

    fn open_browser(&mut self) -> Option<Effect> {
        self.screen = Screen::Browser;
        Some(Effect::ScanRuns)
    }

    fn open_about(&mut self) {
        self.screen = Screen::About;
        self.about_scroll = 0;
    }

    /// Back to the run screen, when there is a run.
    pub(super) fn back_to_run(&mut self) {
        if self.run.is_some() {
            self.screen = Screen::Run;
        }
    }

    pub(super) fn menu_action(&mut self, action: Action) -> Option<Effect> {
        let n = self.menu_len();
        match action {
            Action::Up => self.menu = (self.menu + n - 1) % n,
            Action::Down => self.menu = (self.menu + 1) % n,
            Action::Top => self.menu = 0,
            Action::Bottom => self.menu = n - 1,
            Action::Open => return self.open_menu_entry(),
            Action::OpenBrowser => return self.open_browser(),
            Action::OpenAbout => self.open_about(),
            Action::ToRun => self.back_to_run(),
            Action::Download => self.offer_download(DatasetName::Mnist),
            // Esc never quits: a stray one on the menu must not close the app.
            Action::Back => self.status = Some("this is the menu: q quits".into()),
            _ => {}
        }
        None
    }
}
