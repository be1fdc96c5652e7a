//! The saved-runs browser.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use ratatui::Frame;

use super::{footer, theme};
use crate::app::{layout, App};

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let b = &app.browser;
    f.render_widget(
        Paragraph::new(Span::styled(
            format!("Saved runs in {}/", app.runs_dir.display()),
            theme::title(),
        )),
        Rect { height: 1, ..area },
    );
    let list = layout::browser_list(area);
    let block_area = layout::bordered(list);
    f.render_widget(
        Block::bordered().title(format!(" {} run(s) ", b.entries.len())),
        block_area,
    );
    if b.entries.is_empty() {
        f.render_widget(
            Paragraph::new(vec![
                Line::from("No runs saved yet."),
                Line::from(Span::styled(
                    "Finished runs are saved here automatically; `e` exports one at any moment.",
                    theme::dim(),
                )),
            ]),
            list,
        );
    } else {
        let off = layout::scroll_offset(b.selected, list.height);
        let lines: Vec<Line> = b
            .entries
            .iter()
            .enumerate()
            .skip(off)
            .take(list.height as usize)
            .map(|(i, e)| {
                let mark = b.tag(i).map_or("  ".to_string(), |t| format!("{t} "));
                let style = if i == b.selected {
                    theme::selected()
                } else {
                    Style::default()
                };
                Line::from(vec![
                    Span::styled(mark, theme::key()),
                    Span::styled(format!("{:<w$}", e.name, w = 34), style),
                    Span::styled(format!(" {}", e.detail), theme::dim()),
                ])
            })
            .collect();
        f.render_widget(Paragraph::new(lines), list);
    }
    let info = Rect {
        y: block_area.y + block_area.height,
        height: 3,
        ..area
    };
    let mut lines = Vec::new();
    if let Some(e) = b.entries.get(b.selected) {
        lines.push(Line::from(e.detail.clone()));
    }
    lines.push(Line::from(Span::styled(
        if b.overlay_dirs().is_empty() {
            "Enter opens the selected run; space marks runs (B, C, …) to overlay on it."
        } else {
            "Enter opens the selected run with the marked runs overlaid."
        },
        theme::dim(),
    )));
    if let Some(err) = &b.error {
        lines.push(Line::from(Span::styled(
            err.clone(),
            theme::status(crate::train::Status::Failed),
        )));
    }
    f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), info);
    footer(
        f,
        area,
        app,
        "↑↓ move  Enter open  space mark  R report  r rescan  Esc back  ? help  q quit",
    );
}
