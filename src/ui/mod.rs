//! Drawing: every function here reads the [`App`] and writes a frame, nothing else.

pub mod about;
pub mod browser;
pub mod charts;
pub mod download;
pub mod internals;
pub mod menu;
pub mod run;
pub mod save_as;
pub mod theme;

use ratatui::layout::{Alignment, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Clear, Paragraph, Wrap};
use ratatui::Frame;

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
    if app.help {
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

/// Every key, by screen.
pub const HELP: &[(&str, &[(&str, &str)])] = &[
    (
        "Everywhere",
        &[
            ("?", "show this help (↑↓ scroll it, other keys close it)"),
            ("q  Ctrl-C", "quit (a running run is saved first)"),
            ("Esc", "back; quits from the main menu"),
        ],
    ),
    (
        "Menu",
        &[
            ("↑↓  j k", "move (mouse: click, click again to open)"),
            ("Enter  →  l", "open the experiment's settings"),
            ("b  a", "saved runs  /  About BatchNorm"),
            ("d", "download full MNIST when it is missing"),
            ("v  Tab", "back to the current run"),
        ],
    ),
    (
        "Settings form",
        &[
            ("↑↓  Tab", "move between fields"),
            ("←→  h l  space", "change a choice"),
            ("type  Backspace", "edit a number"),
            ("Enter", "check the settings and start training"),
            ("d", "download the chosen dataset when it is missing"),
        ],
    ),
    (
        "Run",
        &[
            ("space  p", "pause / resume"),
            ("s  r  e", "stop  /  restart  /  export to saved_runs/"),
            ("R", "write report.md for the saved run (into its folder)"),
            ("Tab  1-4", "views: curves, signals, internals, about BN"),
            ("x", "x-axis: steps, epochs, seconds"),
            ("w  + -", "raw values  /  more or less smoothing"),
            ("o", "log scale for the loss"),
            ("[ ]", "charted sweep point (follows training until chosen)"),
            ("↑↓  u", "internals: layer  /  one unit of the last layer"),
            ("c", "remove the overlaid run"),
        ],
    ),
    (
        "Saved runs",
        &[
            ("↑↓  Enter", "choose, open"),
            ("space  m", "mark a run to overlay on the one you open"),
            ("r", "rescan the folder"),
            ("R", "write report.md for the selected run"),
        ],
    ),
    (
        "Download",
        &[
            ("y  Enter", "download the offered dataset"),
            ("n  Esc", "not now  /  cancel a running download"),
        ],
    ),
];

fn help(f: &mut Frame, area: Rect, app: &App) {
    let mut lines = vec![Line::from(Span::styled("Keys", theme::title()))];
    for (group, keys) in HELP {
        lines.push(Line::from(Span::styled(*group, theme::title())));
        for (k, what) in *keys {
            lines.push(Line::from(vec![
                Span::styled(format!("  {k:<16}"), theme::key()),
                Span::raw(*what),
            ]));
        }
    }
    if let Some(p) = &app.log_path {
        lines.push(Line::from(Span::styled(
            format!("log: {}", p.display()),
            theme::dim(),
        )));
    }
    lines.push(Line::from(Span::styled(
        "any key closes this help",
        theme::dim(),
    )));
    let h = (lines.len() as u16 + 2).min(area.height);
    let inner = popup(f, area, 76, h, "Help");
    f.render_widget(Paragraph::new(lines), inner);
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

/// The last line: status message or key hints.
pub fn footer(f: &mut Frame, area: Rect, app: &App, hints: &str) {
    let r = Rect {
        y: area.y + area.height.saturating_sub(1),
        height: 1,
        ..area
    };
    let line = match &app.status {
        Some(s) => Line::from(vec![
            Span::styled(s.clone(), theme::key()),
            Span::styled(format!("   {hints}"), theme::dim()),
        ]),
        None => Line::from(Span::styled(hints.to_string(), theme::dim())),
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
