//! The download box: the offer ("Download full MNIST (11 MB)?") and the transfer's progress.

use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Gauge, Paragraph, Wrap};
use ratatui::Frame;

use super::theme;
use crate::app::download::{title, Download, Transfer};
use crate::app::App;

fn mb(bytes: u64) -> String {
    format!("{:.1} MB", bytes as f64 / 1e6)
}

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let Some(d) = &app.download else {
        return;
    };
    let inner = super::popup(f, area, 70, 11, "Download");
    match d {
        Download::Offer { name, mb } => {
            let lines = vec![
                Line::from(Span::styled(
                    format!("Download {} ({mb} MB)?", title(*name)),
                    theme::title(),
                )),
                Line::default(),
                Line::from(format!(
                    "{name} was not found on this machine. bnlab fetches its four files and \
                     checks each against its SHA-256 before using it."
                )),
                Line::default(),
                Line::from(vec![
                    Span::styled("y  Enter", theme::key()),
                    Span::raw(" download    "),
                    Span::styled("n  Esc", theme::key()),
                    Span::raw(" not now (mnist-5k stays available)"),
                ]),
            ];
            f.render_widget(Paragraph::new(lines).wrap(Wrap { trim: true }), inner);
        }
        Download::Running(t) => running(f, inner, t),
    }
}

fn running(f: &mut Frame, inner: Rect, t: &Transfer) {
    let row = |i: u16, h: u16| Rect {
        y: inner.y + i,
        height: h,
        ..inner
    };
    let head = vec![
        Line::from(Span::styled(
            format!("Downloading {} ({} MB)", title(t.name), t.mb),
            theme::title(),
        )),
        Line::from(Span::styled(
            t.dir
                .as_ref()
                .map_or(String::new(), |d| format!("into {}", d.display())),
            theme::dim(),
        )),
        Line::from(format!(
            "file {}/{}  {}",
            (t.index + 1).min(t.count.max(1)),
            t.count,
            if t.file.is_empty() { "…" } else { &t.file }
        )),
    ];
    f.render_widget(Paragraph::new(head), row(0, 3));
    let bytes = match t.total {
        Some(total) => format!("{} / {}", mb(t.done), mb(total)),
        None if t.done > 0 => mb(t.done),
        None => "-".into(),
    };
    f.render_widget(
        Gauge::default()
            .gauge_style(theme::key())
            .ratio(t.file_fraction().unwrap_or(0.0))
            .label(format!("this file {bytes}")),
        row(3, 1),
    );
    f.render_widget(
        Gauge::default()
            .gauge_style(theme::key())
            .ratio(t.overall)
            .label(format!("all files {:.0}%", t.overall * 100.0)),
        row(5, 1),
    );
    let tail = vec![
        Line::from(Span::styled(t.stage.clone(), theme::dim())),
        Line::from(Span::styled(
            if t.cancelling {
                "cancelling…"
            } else {
                "Esc cancels (nothing partial is kept)"
            },
            theme::key(),
        )),
    ];
    f.render_widget(Paragraph::new(tail), row(7, 2));
}
