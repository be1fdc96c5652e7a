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

/// Browser list inner area: below the title and the column heads, above the detail lines
/// and the footer.
pub fn browser_list(area: Rect) -> Rect {
    Rect {
        x: area.x + 1,
        y: area.y + 3,
        width: area.width.saturating_sub(2),
        height: area.height.saturating_sub(BROWSER_INFO_H + 5),
    }
}

/// Lines under the browser's list: the selected run's settings, its accuracies, a hint.
pub const BROWSER_INFO_H: u16 = 4;

/// The columns of the browser's list as (x from the list's left, width), one space apart:
/// mark, preset, dataset, status, best validation accuracy, seeds, date. Every column but
/// the accuracies has a fixed width, narrower below 110 columns; the accuracies get the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BrowserCols {
    pub tag: (u16, u16),
    pub preset: (u16, u16),
    pub dataset: (u16, u16),
    pub status: (u16, u16),
    pub best: (u16, u16),
    pub seeds: (u16, u16),
    pub date: (u16, u16),
}

/// Width of a date with its year (`2026-12-02 17:44`) and without (`12-02 17:44`).
pub const DATE_W: u16 = 16;
pub const SHORT_DATE_W: u16 = 11;

pub fn browser_cols(width: u16) -> BrowserCols {
    let wide = width >= 108;
    let (preset, dataset, date) = if wide {
        (20, 13, DATE_W)
    } else {
        (12, 8, SHORT_DATE_W)
    };
    let fixed = [2, preset, dataset, 11];
    let tail = [5, date];
    let used: u16 = fixed.iter().chain(&tail).sum::<u16>() + 5;
    let best = width.saturating_sub(used);
    let mut x = 0;
    let mut next = |w: u16, gap: u16| {
        let c = (x, w);
        x += w + gap;
        c
    };
    BrowserCols {
        tag: next(2, 0),
        preset: next(preset, 1),
        dataset: next(dataset, 1),
        status: next(11, 1),
        best: next(best, 1),
        seeds: next(5, 1),
        date: next(date, 0),
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

/// Width of the help box, border included.
/// Columns of a key label and of its text in the help box.
pub const KEY_W: usize = 18;
pub const TEXT_W: usize = 54;
pub const HELP_W: u16 = (KEY_W + TEXT_W) as u16 + 4;

/// The help box for `rows` rows: the box, the rows shown (they scroll) and the hint line
/// under them.
pub fn help_box(area: Rect, rows: usize) -> (Rect, Rect, Rect) {
    let h = (rows as u16).saturating_add(3);
    let outer = centered(area, HELP_W, h);
    let inner = Rect {
        x: outer.x + 1,
        y: outer.y + 1,
        width: outer.width.saturating_sub(2),
        height: outer.height.saturating_sub(2),
    };
    let body = Rect {
        height: inner.height.saturating_sub(1),
        ..inner
    };
    let hint = Rect {
        y: body.y + body.height,
        height: inner.height.min(1),
        ..inner
    };
    (outer, body, hint)
}

/// The settings form: the box, the claim at its top, one line per field, and what follows
/// (sweep note, error or hint).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FormAreas {
    pub block: Rect,
    pub claim: Rect,
    pub fields: Rect,
    pub tail: Rect,
}

/// Where the form with `fields` fields and this claim text is drawn in `area`; clicks are
/// matched against the same rectangles.
pub fn form(area: Rect, claim: &str, fields: usize) -> FormAreas {
    let block = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(2),
        ..area
    };
    let inner = Rect {
        x: block.x + 2,
        y: block.y + 1,
        width: block.width.saturating_sub(4),
        height: block.height.saturating_sub(2),
    };
    let claim_h = wrapped_lines(claim, inner.width).min(inner.height);
    let claim = Rect {
        height: claim_h,
        ..inner
    };
    let fields_h = (fields as u16).min(inner.height - claim_h);
    let fields = Rect {
        y: claim.y + claim_h,
        height: fields_h,
        ..inner
    };
    let tail = Rect {
        y: fields.y + fields_h,
        height: inner.height - claim_h - fields_h,
        ..inner
    };
    FormAreas {
        block,
        claim,
        fields,
        tail,
    }
}

/// Lines `text` takes when wrapped at word boundaries in `width` columns. It errs on the
/// long side (a spare line rather than a cut one).
pub fn wrapped_lines(text: &str, width: u16) -> u16 {
    let w = (width as usize).saturating_sub(1).max(1);
    let mut lines = 1u16;
    let mut col = 0usize;
    for word in text.split(' ') {
        let n = word.chars().count();
        let need = if col == 0 { n } else { col + 1 + n };
        if col > 0 && need > w {
            lines += 1;
            col = n;
        } else {
            col = need;
        }
        while col > w {
            lines += 1;
            col -= w;
        }
    }
    lines
}

/// The line at the top of the form, as drawn.
pub fn form_claim(claim: &str) -> String {
    format!("Claim: {claim}")
}
