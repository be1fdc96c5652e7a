//! Drawing: every function here reads the [`App`] and writes a frame, nothing else.

pub(crate) mod about;
pub(crate) mod boxes;
pub(crate) mod browser;
pub mod charts;
pub(crate) mod compare;
mod curves_view;
pub(crate) mod download;
mod gauges;
pub(crate) mod internals;
pub(crate) mod menu;
pub(crate) mod run;
pub(crate) mod save_as;
pub mod theme;

use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

use crate::app::help::HelpRow;
use crate::app::layout::KEY_W;
use crate::app::{layout, App, Screen};

pub fn draw(f: &mut Frame, app: &App) {
    let area = f.area();
    if layout::too_small(area.width, area.height) {
        too_small(f, area);
        return;
    }
    match app.screen {
        Screen::Menu => menu::draw_menu(f, area, app),
        Screen::Form => menu::draw_form(f, area, app),
        Screen::Run => run::draw(f, area, app),
        Screen::Browser => browser::draw(f, area, app),
        Screen::About => about::draw_screen(f, area, app),
    }
    download::draw(f, area, app);
    save_as::draw(f, area, app);
    boxes::draw(f, area, app);
    if app.help.open {
        help(f, area, app);
    }
}

fn too_small(f: &mut Frame, area: Rect) {
    let text = vec![
        Line::from(Span::styled("Terminal too small", theme::title())),
        Line::from(format!(
            "{}×{}: bnlab needs at least {}×{}.",
            area.width,
            area.height,
            layout::MIN_W,
            layout::MIN_H
        )),
        Line::from("Enlarge the window, or press q to quit."),
    ];
    let h = (text.len() as u16).min(area.height);
    let r = Rect {
        y: area.y + area.height.saturating_sub(h) / 2,
        height: h,
        ..area
    };
    f.render_widget(
        Paragraph::new(text)
            .alignment(Alignment::Center)
            .wrap(Wrap { trim: true }),
        r,
    );
}

/// The keys of the current screen from the keymap, scrolled to `app.help.scroll`.
fn help(f: &mut Frame, area: Rect, app: &App) {
    let rows = app.help_rows();
    let (outer, body, hint) = layout::help_box(area, rows.len());
    f.render_widget(Clear, outer);
    f.render_widget(Block::bordered().title(" Keys "), outer);
    let lines: Vec<Line> = rows
        .iter()
        .skip(app.help.scroll as usize)
        .take(body.height as usize)
        .map(|r| match r {
            HelpRow::Heading(h) => Line::from(Span::styled(*h, theme::title())),
            HelpRow::Key(b) => Line::from(vec![
                Span::styled(format!("  {:<w$}", b.label(), w = KEY_W), theme::key()),
                Span::raw(b.help),
            ]),
            HelpRow::Note(n) => Line::from(Span::styled(n.clone(), theme::dim())),
        })
        .collect();
    f.render_widget(Paragraph::new(lines), body);
    let first = app.help.scroll as usize + 1;
    let last = (app.help.scroll as usize + body.height as usize).min(rows.len());
    let more = if rows.len() > body.height as usize {
        format!("{first}–{last} of {}: ↑↓ PgUp PgDn scroll, ", rows.len())
    } else {
        String::new()
    };
    f.render_widget(
        Paragraph::new(Span::styled(
            format!("{more}other keys close"),
            theme::dim(),
        )),
        hint,
    );
}

/// A bordered box of `w×h` centred in `area`, cleared of what was under it; returns the
/// area inside the border.
pub fn popup(f: &mut Frame, area: Rect, w: u16, h: u16, title: &str) -> Rect {
    let r = layout::centered(area, w, h);
    f.render_widget(Clear, r);
    let block = Block::bordered().title(format!(" {title} "));
    let inner = block.inner(r);
    f.render_widget(block, r);
    inner
}

/// The hints (separated by two spaces) that fit in `w` columns, whole ones only.
pub fn fit_hints(hints: &str, w: usize) -> String {
    let mut out = String::new();
    for h in hints.split("  ") {
        let need = out.chars().count() + if out.is_empty() { 0 } else { 2 } + h.chars().count();
        if need > w {
            break;
        }
        if !out.is_empty() {
            out.push_str("  ");
        }
        out.push_str(h);
    }
    out
}

/// The last line: status message, then the key hints that fit after it.
pub fn footer(f: &mut Frame, area: Rect, app: &App, hints: &str) {
    let r = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: 1,
        ..area
    };
    let w = area.width as usize;
    let line = match &app.status {
        Some(s) => {
            let s = shorten(s, w);
            let left = w.saturating_sub(s.chars().count() + 3);
            Line::from(vec![
                Span::styled(s, theme::key()),
                Span::styled(format!("   {}", fit_hints(hints, left)), theme::dim()),
            ])
        }
        None => Line::from(Span::styled(fit_hints(hints, w), theme::dim())),
    };
    f.render_widget(Paragraph::new(line), r);
}

pub fn fmt_secs(s: f64) -> String {
    if !s.is_finite() || s < 0.0 {
        return "-".into();
    }
    let s = s.round() as u64;
    if s >= 3600 {
        format!("{}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    } else {
        format!("{}:{:02}", s / 60, s % 60)
    }
}

pub fn fmt_pct(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{:.2}%", v * 100.0))
}

pub fn fmt_val(v: f64) -> String {
    let a = v.abs();
    if !v.is_finite() {
        format!("{v}")
    } else if a != 0.0 && !(1e-3..1e5).contains(&a) {
        format!("{v:.2e}")
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        format!("{v:.2}")
    } else {
        format!("{v:.3}")
    }
}

/// `s` in at most `w` columns, ending in "…" when it was shortened.
pub fn shorten(s: &str, w: usize) -> String {
    if s.chars().count() <= w {
        return s.to_string();
    }
    let mut out: String = s.chars().take(w.saturating_sub(1)).collect();
    if w > 0 {
        out.push('…');
    }
    out
}
