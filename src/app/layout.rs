//! Screen geometry shared by drawing and mouse handling, so a click lands where it was drawn.

use ratatui::layout::Rect;

/// Smallest terminal the layout is designed for.
pub const MIN_W: u16 = 80;
pub const MIN_H: u16 = 24;

pub fn too_small(w: u16, h: u16) -> bool {
    w < MIN_W || h < MIN_H
}

/// Width of the preset list on the menu screen.
pub const MENU_LIST_W: u16 = 36;

/// The menu list's inner area (inside its border), below the title line.
pub fn menu_list(area: Rect) -> Rect {
    Rect {
        x: area.x + 1,
        y: area.y + 2,
        width: MENU_LIST_W.min(area.width).saturating_sub(2),
        height: area.height.saturating_sub(5),
    }
}

/// The area of the border drawn around a list's `inner` area.
pub fn bordered(inner: Rect) -> Rect {
    Rect {
        x: inner.x.saturating_sub(1),
        y: inner.y.saturating_sub(1),
        width: inner.width + 2,
        height: inner.height + 2,
    }
}

/// Browser list inner area: below the title, above the detail and footer lines.
pub fn browser_list(area: Rect) -> Rect {
    Rect {
        x: area.x + 1,
        y: area.y + 2,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(7),
    }
}

/// First visible row of a list of which `selected` must be visible in `height` rows.
pub fn scroll_offset(selected: usize, height: u16) -> usize {
    selected.saturating_sub((height as usize).saturating_sub(1))
}

pub const TAB_TITLES: [&str; 4] = ["1 Curves", "2 Signals", "3 Internals", "4 About BN"];

/// Column ranges of the run screen's tab titles on its first line (`x`, `width`).
pub fn tab_ranges(area: Rect) -> Vec<(u16, u16)> {
    let mut x = area.x + 1;
    TAB_TITLES
        .iter()
        .map(|t| {
            let w = t.chars().count() as u16 + 2;
            let r = (x, w);
            x += w + 1;
            r
        })
        .collect()
}

/// Where the help overlay goes.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}
