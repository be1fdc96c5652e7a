//! The saved-runs browser: a table of the runs, then the selected one's settings and its
//! accuracies as the report writes them. Every cell is cut to its column on purpose, so
//! nothing runs into its neighbour from 80 to 200 columns.

use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph};
use ratatui::Frame;

use super::{footer, shorten, theme};
use crate::analysis::fmt::{pct, value_str};
use crate::analysis::glance::{Best, Ending};
use crate::app::browser::{Browser, RunEntry};
use crate::app::layout::{self, BrowserCols, BROWSER_INFO_H};
use crate::app::App;
use crate::train::Status;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let b = &app.browser;
    let w = area.width as usize;
    let title = format!("Saved runs in {}/", app.runs_dir.display());
    f.render_widget(
        Paragraph::new(Span::styled(shorten(&title, w), theme::title())),
        Rect { height: 1, ..area },
    );
    let list = layout::browser_list(area);
    let block_area = Rect {
        y: list.y - 2,
        height: list.height + 3,
        ..layout::bordered(list)
    };
    f.render_widget(
        Block::bordered().title(shorten(&block_title(b), w.saturating_sub(4))),
        block_area,
    );
    let cols = layout::browser_cols(list.width);
    f.render_widget(
        Paragraph::new(head(&cols)),
        Rect {
            y: list.y - 1,
            height: 1,
            ..list
        },
    );
    if b.shown_len() == 0 {
        f.render_widget(Paragraph::new(empty(b, list.width as usize)), list);
    } else {
        let off = layout::scroll_offset(b.selected, list.height);
        let lines: Vec<Line> = b
            .shown()
            .enumerate()
            .skip(off)
            .take(list.height as usize)
            .map(|(i, e)| row(b, e, &cols, i == b.selected))
            .collect();
        f.render_widget(Paragraph::new(lines), list);
    }
    let info = Rect {
        y: block_area.y + block_area.height,
        height: BROWSER_INFO_H,
        ..area
    };
    f.render_widget(Paragraph::new(info_lines(b, w)), info);
    let hints = if b.filtering {
        "type words  Backspace erase  Enter keep the filter  Esc clear it"
    } else {
        "↑↓ move  Enter open  space mark  s sort  / filter  d delete  ? help  Esc back  S reverse  R report  r rescan"
    };
    footer(f, area, app, hints);
}

fn block_title(b: &Browser) -> String {
    let count = if b.filter.is_empty() {
        format!("{} run(s)", b.entries.len())
    } else {
        format!(
            "{} of {} run(s), filter “{}”",
            b.shown_len(),
            b.entries.len(),
            b.filter
        )
    };
    let dir = if b.reversed { ", reversed" } else { "" };
    format!(" {count} · by {}{dir} ", b.sort.label())
}

/// `s` padded or cut to exactly `w` columns, on the left or the right.
fn fit(s: &str, w: u16, right: bool) -> String {
    let s = shorten(s, w as usize);
    if right {
        format!("{s:>w$}", w = w as usize)
    } else {
        format!("{s:<w$}", w = w as usize)
    }
}

/// Spans for `cells` placed at their columns, gaps filled with spaces.
fn place(cells: Vec<((u16, u16), Vec<Span<'static>>)>) -> Line<'static> {
    let mut spans = Vec::new();
    let mut x = 0;
    for ((at, w), parts) in cells {
        if at > x {
            spans.push(Span::raw(" ".repeat((at - x) as usize)));
        }
        let used: usize = parts.iter().map(|s| s.content.chars().count()).sum();
        spans.extend(parts);
        if used < w as usize {
            spans.push(Span::raw(" ".repeat(w as usize - used)));
        }
        x = at + w;
    }
    Line::from(spans)
}

fn head(c: &BrowserCols) -> Line<'static> {
    let h = |col: (u16, u16), s: &str, right: bool| {
        (
            col,
            vec![Span::styled(fit(s, col.1, right), theme::title())],
        )
    };
    place(vec![
        h(c.preset, "preset", false),
        h(c.dataset, "dataset", false),
        h(c.status, "status", false),
        h(c.best, "best val acc", false),
        h(c.seeds, "seeds", true),
        h(c.date, "date", false),
    ])
}

/// The style of a run's status: that of the trainer status it stands for.
fn ending_style(e: Option<Ending>) -> Style {
    let s = match e {
        None => Status::Failed,
        Some(Ending::Finished) => Status::Finished,
        Some(Ending::Diverged) => Status::Diverged,
        Some(Ending::Unfinished) => Status::Paused,
        Some(Ending::Interrupted) => Status::Interrupted,
        Some(Ending::Failed) => Status::Failed,
    };
    theme::status(s)
}

fn row(b: &Browser, e: &RunEntry, c: &BrowserCols, selected: bool) -> Line<'static> {
    let base = if selected {
        theme::selected()
    } else {
        Style::default()
    };
    let tag = b.tag(&e.dir).map_or("  ".to_string(), |t| format!("{t} "));
    let text = |col: (u16, u16), s: &str, right: bool, st: Style| {
        (col, vec![Span::styled(fit(s, col.1, right), st)])
    };
    let ending = e.glance.as_ref().ok().map(|g| g.ending);
    let best = match &e.glance {
        Ok(g) => best_spans(&g.best, c.best.1 as usize),
        Err(_) => vec![Span::styled("–", theme::dim())],
    };
    let date = if c.date.1 < layout::DATE_W {
        e.date.get(5..).unwrap_or(&e.date)
    } else {
        &e.date
    };
    place(vec![
        text(c.tag, &tag, false, theme::key()),
        text(c.preset, &e.preset, false, base),
        text(c.dataset, &e.dataset, false, theme::dim()),
        text(c.status, e.status(), false, ending_style(ending)),
        (c.best, best),
        text(c.seeds, &e.seeds.to_string(), true, Style::default()),
        text(c.date, date, false, theme::dim()),
    ])
}

/// Each variant's mark and mean best accuracy, as many as fit in `w` columns; the
/// others are counted (`+2`), and the selected run's lines below give them all.
fn best_spans(best: &[Best], w: usize) -> Vec<Span<'static>> {
    let item = |b: &Best| {
        let v = b.mean.map_or("–".to_string(), pct);
        format!("{} {v}", theme::variant_mark(b.variant))
    };
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (k, b) in best.iter().enumerate() {
        let s = item(b);
        let gap = if k == 0 { 0 } else { 1 };
        let left = best.len() - k - 1;
        // Room for this one, and for the count of the rest after it.
        let more = if left > 0 {
            format!(" +{left}").len()
        } else {
            0
        };
        if used + gap + s.chars().count() + more > w {
            let rest = format!("+{}", best.len() - k);
            if used + gap + rest.len() <= w {
                spans.push(Span::styled(
                    format!("{}{rest}", " ".repeat(gap)),
                    theme::dim(),
                ));
            }
            break;
        }
        used += gap + s.chars().count();
        spans.push(Span::raw(" ".repeat(gap)));
        spans.push(Span::styled(
            s,
            Style::default().fg(theme::variant(b.variant)),
        ));
    }
    spans
}

fn empty(b: &Browser, w: usize) -> Vec<Line<'static>> {
    if b.entries.is_empty() {
        return vec![
            Line::from("No runs saved yet."),
            Line::from(Span::styled(
                shorten(
                    "Finished runs are saved here automatically; `e` exports one at any moment.",
                    w,
                ),
                theme::dim(),
            )),
        ];
    }
    vec![
        Line::from(shorten(
            &format!("No run has every word of “{}”.", b.filter),
            w,
        )),
        Line::from(Span::styled(
            shorten("/ edits the filter; Esc while typing clears it.", w),
            theme::dim(),
        )),
    ]
}

/// The selected run: its settings, each variant's best validation accuracy as the report
/// writes it, how its trainers ended, then a hint, the filter being typed or an error.
fn info_lines(b: &Browser, w: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    match b.selected_entry() {
        Some(e) => {
            lines.push(Line::from(shorten(&e.detail, w)));
            match &e.glance {
                Ok(g) => {
                    lines.push(cells_line(&g.best, e, w));
                    lines.push(Line::from(Span::styled(
                        shorten(
                            &format!(
                                "trainers: {} ({} in all, {} seed(s))  folder {}",
                                g.endings, g.trainers, g.seeds, e.name
                            ),
                            w,
                        ),
                        theme::dim(),
                    )));
                }
                Err(err) => lines.push(Line::from(Span::styled(
                    shorten(&format!("no summary: {err}"), w),
                    theme::status(Status::Failed),
                ))),
            }
        }
        None => lines.push(Line::from("")),
    }
    while lines.len() < 3 {
        lines.push(Line::from(""));
    }
    let last = if b.filtering {
        Line::from(vec![
            Span::styled(
                shorten(&format!("filter: {}█", b.filter), w / 2),
                theme::key(),
            ),
            Span::styled(
                shorten("  Enter keeps it, Esc clears it", w - w / 2),
                theme::dim(),
            ),
        ])
    } else if let Some(err) = &b.error {
        Line::from(Span::styled(shorten(err, w), theme::status(Status::Failed)))
    } else {
        let hint = if b.overlay_dirs().is_empty() {
            "Enter opens the selected run; space marks runs (B, C, …) to overlay on it."
        } else {
            "Enter opens the selected run with the marked runs overlaid."
        };
        Line::from(Span::styled(shorten(hint, w), theme::dim()))
    };
    lines.truncate(3);
    lines.push(last);
    lines
}

/// "best val acc  ● plain 97.12% ± 0.10 pp  ■ bn 98.00%", in a sweep with the value where
/// each variant peaked, cut to `w` on purpose.
fn cells_line(best: &[Best], e: &RunEntry, w: usize) -> Line<'static> {
    let head = match e.swept {
        Some(p) => format!("best val acc over {p}"),
        None => "best val acc".into(),
    };
    let mut parts: Vec<(String, Style)> = vec![(head, theme::dim())];
    for b in best {
        let at =
            b.at.map_or(String::new(), |v| format!(" at {}", value_str(Some(v))));
        parts.push((
            format!(
                "  {} {} {}{at}",
                theme::variant_mark(b.variant),
                b.variant.as_str(),
                b.cell
            ),
            Style::default().fg(theme::variant(b.variant)),
        ));
    }
    let mut spans = Vec::new();
    let mut left = w;
    for (s, st) in parts {
        let n = s.chars().count();
        if n <= left {
            left -= n;
            spans.push(Span::styled(s, st));
        } else {
            spans.push(Span::styled(shorten(&s, left), st));
            break;
        }
    }
    Line::from(spans)
}
