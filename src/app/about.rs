//! The "About BatchNorm" screen: one long text that scrolls.

use super::{Action, App, Effect, Screen};

impl App {
    pub(super) fn about_action(&mut self, action: Action) -> Option<Effect> {
        match action {
            Action::Back => self.screen = Screen::Menu,
            Action::Up => self.about_scroll = self.about_scroll.saturating_sub(1),
            Action::Down => self.about_scroll = self.about_scroll.saturating_add(1).min(60),
            _ => {}
        }
        None
    }
}
