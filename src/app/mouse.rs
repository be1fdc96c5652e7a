//! Mouse clicks, matched against the rectangles the screens are drawn in (`layout`).

use crossterm::event::{KeyCode, KeyEvent, MouseButton, MouseEvent, MouseEventKind};
use ratatui::layout::Rect;

use super::{layout, Action, App, Effect, Help, Screen, View};
use crate::presets::PRESETS;

impl App {
    pub fn on_mouse(&mut self, m: MouseEvent) -> Option<Effect> {
        if self.help.open && matches!(m.kind, MouseEventKind::Down(_)) {
            self.help = Help::default();
            return None;
        }
        let area = Rect::new(0, 0, self.size.0, self.size.1);
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {}
            MouseEventKind::ScrollUp => return self.on_key(KeyEvent::from(KeyCode::Up)),
            MouseEventKind::ScrollDown => return self.on_key(KeyEvent::from(KeyCode::Down)),
            _ => return None,
        }
        let hit = |r: Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        match self.screen {
            Screen::Menu => {
                let list = layout::menu_list(area);
                if hit(list) {
                    let i =
                        (m.row - list.y) as usize + layout::scroll_offset(self.menu, list.height);
                    if i < self.menu_len() {
                        if i == self.menu {
                            return self.open_menu_entry();
                        }
                        self.menu = i;
                    }
                }
            }
            Screen::Browser => {
                let list = layout::browser_list(area);
                if hit(list) {
                    let i = (m.row - list.y) as usize
                        + layout::scroll_offset(self.browser.selected, list.height);
                    if i < self.browser.shown_len() {
                        if i == self.browser.selected {
                            return self.browser_action(Action::Open);
                        }
                        self.browser.selected = i;
                    }
                }
            }
            Screen::Run if m.row == area.y => {
                for (i, (x, w)) in layout::tab_ranges(area).into_iter().enumerate() {
                    if m.column >= x && m.column < x + w {
                        self.view = View::ALL[i];
                    }
                }
            }
            Screen::Form => {
                let p = &PRESETS[self.form.preset.min(PRESETS.len() - 1)];
                let fields =
                    layout::form(area, &layout::form_claim(p.claim), self.form.fields.len()).fields;
                if hit(fields) {
                    self.form.focus = (m.row - fields.y) as usize;
                }
            }
            _ => {}
        }
        None
    }
}
