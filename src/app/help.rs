//! The help overlay: the keys of the current screen, read from [`super::keymap::KEYMAP`],
//! scrolled so that every one can be reached on the smallest terminal.

use super::keymap::{self, Action, Binding, Ctx};
use super::layout;
use super::App;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Help {
    pub open: bool,
    /// First row shown.
    pub scroll: u16,
}

/// One row of the help.
#[derive(Debug, Clone, PartialEq)]
pub enum HelpRow {
    Heading(&'static str),
    Key(&'static Binding),
    Note(String),
}

impl Help {
    pub fn opened() -> Self {
        Self {
            open: true,
            scroll: 0,
        }
    }

    /// Scrolls `rows` rows of which `page` fit, or closes.
    pub fn handle(&mut self, action: Action, rows: usize, page: u16) {
        let last = rows.saturating_sub(page as usize).min(u16::MAX as usize) as u16;
        self.scroll = match action {
            Action::Up => self.scroll.saturating_sub(1),
            Action::Down => self.scroll.saturating_add(1),
            Action::PageUp => self.scroll.saturating_sub(page.max(1)),
            Action::PageDown => self.scroll.saturating_add(page.max(1)),
            Action::Top => 0,
            Action::Bottom => last,
            _ => {
                *self = Self::default();
                return;
            }
        }
        .min(last);
    }
}

impl App {
    /// What the help lists: the keys of the screen under it, then the global ones and the
    /// help's own, then where the log is.
    pub fn help_rows(&self) -> Vec<HelpRow> {
        let mut ctxs = self.screen_contexts(true);
        ctxs.extend([Ctx::Always, Ctx::Global, Ctx::Fallback, Ctx::Help]);
        let mut rows = Vec::new();
        let mut heading = "";
        for b in keymap::bindings(&ctxs) {
            if b.ctx.title() != heading {
                heading = b.ctx.title();
                rows.push(HelpRow::Heading(heading));
            }
            rows.push(HelpRow::Key(b));
        }
        if let Some(p) = &self.log_path {
            rows.push(HelpRow::Note(format!("log: {}", p.display())));
        }
        rows
    }

    /// Rows of the help visible at once on this terminal.
    pub fn help_page(&self) -> u16 {
        let area = ratatui::layout::Rect::new(0, 0, self.size.0, self.size.1);
        layout::help_box(area, self.help_rows().len()).1.height
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrolling_stops_at_both_ends() {
        let mut h = Help::opened();
        h.handle(Action::Up, 30, 10);
        assert_eq!(h.scroll, 0);
        h.handle(Action::PageDown, 30, 10);
        h.handle(Action::PageDown, 30, 10);
        h.handle(Action::PageDown, 30, 10);
        assert_eq!(h.scroll, 20);
        h.handle(Action::Top, 30, 10);
        h.handle(Action::Bottom, 30, 10);
        assert_eq!(h.scroll, 20);
        h.handle(Action::CloseHelp, 30, 10);
        assert!(!h.open);
    }
}
