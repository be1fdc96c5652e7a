//! The boxes drawn over a screen that take the keys while shown: the confirmation before
//! work is lost, and the metric picker.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use ratatui::Frame;

use super::{popup, theme};
use crate::app::picker::Picker;
use crate::app::App;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    if let Some(p) = &app.picker {
        picker(f, area, app, p);
    }
    if let Some(c) = &app.confirm {
        let w = c
            .lines
            .iter()
            .map(|l| l.chars().count())
            .max()
            .unwrap_or(20)
            .max(c.title.len() + 4) as u16
            + 4;
        let inner = popup(
            f,
            area,
            w.min(area.width),
            c.lines.len() as u16 + 4,
            c.title,
        );
        let mut lines: Vec<Line> = c.lines.iter().map(|l| Line::from(l.clone())).collect();
        lines.push(Line::from(""));
        lines.push(Line::from(vec![
            Span::styled("y", theme::key()),
            Span::raw(" / Enter: yes    "),
            Span::styled("n", theme::key()),
            Span::raw(" / Esc: no"),
        ]));
        f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
    }
}

fn picker(f: &mut Frame, area: Rect, app: &App, p: &Picker) {
    let page = app.picker_page();
    let h = (p.items.len().min(page) as u16) + 3;
    let inner = popup(f, area, 48.min(area.width), h, "Metric of the left chart");
    let off = p.selected.saturating_sub(page.saturating_sub(1));
    let mut lines: Vec<Line> = p
        .items
        .iter()
        .enumerate()
        .skip(off)
        .take(page)
        .map(|(i, &item)| {
            let st = if i == p.selected {
                theme::selected()
            } else {
                ratatui::style::Style::default()
            };
            Line::from(Span::styled(format!(" {} ", Picker::label(item)), st))
        })
        .collect();
    lines.push(Line::from(Span::styled(
        format!(
            "{} of {}: ↑↓ move, Enter chart, Esc close",
            p.selected + 1,
            p.items.len()
        ),
        theme::dim(),
    )));
    f.render_widget(Paragraph::new(lines), inner);
}
