//! The curves view: a legend line (N seeds, hidden and clipped series), the left chart (the
//! loss or the picked metric) and the accuracy chart, the cursor's readout, then the
//! comparison at the common step and the verdict.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use ratatui::Frame;

use super::charts::{self, Built, Role, Series};
use super::compare::{self, VariantRow};
use super::{fmt_val, gauges, theme};
use crate::app::framing::{Kind, YFrame};
use crate::app::picker::{self, per_step};
use crate::app::run_view::RunView;
use crate::app::{App, ChartSettings, Pick};
use crate::metric::Metric;

pub fn draw(f: &mut Frame, area: Rect, app: &App, run: &RunView) {
    let (vrows, at) = compare::variant_rows(run);
    let shown: Vec<&VariantRow> = vrows.iter().filter(|r| r.prefix.is_empty()).collect();
    let nv = shown.len() as u16;
    let sweep = run.record.config.sweep.is_some();
    let table_h = if sweep {
        run.points() as u16 + 3
    } else {
        vrows.len() as u16 + 3
    };
    let mut msgs = gauges::failure_lines(run);
    msgs.extend(gauges::verdict_lines(run));
    let s = &app.chart;
    let readout_h = u16::from(s.cursor.is_some());
    let [g, legend, c, r, t, m] = Layout::vertical([
        Constraint::Length(nv),
        Constraint::Length(1),
        Constraint::Min(8),
        Constraint::Length(readout_h),
        Constraint::Length(table_h),
        Constraint::Length(msgs.len().min(4) as u16),
    ])
    .areas(area);
    gauges::gauges(f, g, run, &shown);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(c);
    let (lb, lkind) = left_chart(f, left, run, s);
    let acc = charts::build(
        run,
        &[
            Series {
                pick: Pick::Metric(Metric::ValAcc),
                main: true,
                smooth: false,
            },
            Series {
                pick: Pick::Metric(Metric::TrainAcc),
                main: false,
                smooth: true,
            },
        ],
        s,
        false,
        right.width,
    );
    let ay = charts::plot_frame(&acc, s, Kind::Higher, false, true);
    let mut title = vec![Span::styled(" Accuracy ", theme::title())];
    title.extend(off_spans(&acc, &ay));
    title.push(Span::styled(
        format!("— val  • train{} ", point_label(run)),
        theme::dim(),
    ));
    charts::render_built(f, right, Line::from(title), &acc, &ay, s, false, true);
    legend_line(f, legend, app, run, &vrows);
    if s.cursor.is_some() {
        readout(f, r, s, &lb, lkind, &acc);
    }
    if sweep {
        compare::sweep_table(f, t, run);
    } else {
        compare::comparison_table(f, t, run, &vrows, &at);
    }
    if !msgs.is_empty() {
        // Shortened on purpose at the edge rather than cut mid-word by it.
        let w = m.width as usize;
        let msgs: Vec<Line> = msgs
            .into_iter()
            .map(|l| {
                let text: String = l.spans.iter().map(|s| s.content.as_ref()).collect();
                if text.chars().count() <= w {
                    return l;
                }
                let style = l.spans.first().map(|s| s.style).unwrap_or_default();
                Line::from(Span::styled(super::shorten(&text, w), style))
            })
            .collect();
        f.render_widget(Paragraph::new(msgs), m);
    }
}

/// The loss (train line, validation dots) or the picked metric, on the left.
fn left_chart(
    f: &mut Frame,
    area: Rect,
    run: &RunView,
    s: &ChartSettings,
) -> (Built, Option<Pick>) {
    let pick = s.pick;
    let series: Vec<Series> = match pick {
        None => vec![
            Series {
                pick: Pick::Metric(Metric::TrainLoss),
                main: true,
                smooth: true,
            },
            Series {
                pick: Pick::Metric(Metric::ValLoss),
                main: false,
                smooth: false,
            },
        ],
        Some(p) => vec![Series {
            pick: p,
            main: true,
            smooth: matches!(p, Pick::Metric(m) if per_step(m)),
        }],
    };
    let kind = picker::kind(pick);
    let b = charts::build(run, &series, s, s.log_loss, area.width);
    let yf = charts::plot_frame(&b, s, kind, s.log_loss, false);
    let name = match pick {
        None => " Loss ".to_string(),
        Some(p) => format!(" {} ", p.label()),
    };
    let smooth = if s.raw {
        "raw".to_string()
    } else {
        format!("smooth {:.2}", s.smoothing)
    };
    let what = if pick.is_none() {
        "— train  • val  "
    } else {
        "— "
    };
    let mut title = vec![Span::styled(name, theme::title())];
    title.extend(off_spans(&b, &yf));
    title.push(Span::styled(
        format!(
            "{what}{smooth}{}{} ",
            if s.log_loss { "  log" } else { "" },
            point_label(run)
        ),
        theme::dim(),
    ));
    charts::render_built(f, area, Line::from(title), &b, &yf, s, s.log_loss, false);
    (b, pick)
}

/// "↑● plain" for each variant drawn clipped at the edge of a chart.
fn off_spans(b: &Built, yf: &YFrame) -> Vec<Span<'static>> {
    charts::off_scale(b, yf)
        .into_iter()
        .map(|v| {
            Span::styled(
                format!("↑{} {} off scale ", theme::variant_mark(v), v),
                Style::default()
                    .fg(theme::variant(v))
                    .add_modifier(Modifier::BOLD),
            )
        })
        .collect()
}

fn point_label(run: &RunView) -> String {
    match &run.record.config.sweep {
        Some(sw) => {
            let v = sw.values.get(run.point).copied().unwrap_or(f64::NAN);
            format!("  {}={v}", sw.param.as_str())
        }
        None => String::new(),
    }
}

/// The variants with their mark, seeds and state (hidden, picked), then the view's state.
fn legend_line(f: &mut Frame, area: Rect, app: &App, run: &RunView, vrows: &[VariantRow]) {
    let s = &app.chart;
    let mut spans = Vec::new();
    for r in vrows {
        let v = r.variant;
        let mut st = Style::default()
            .fg(theme::variant(v))
            .add_modifier(Modifier::BOLD);
        let own = r.prefix.is_empty();
        if !own {
            st = st.add_modifier(Modifier::DIM | Modifier::ITALIC);
        }
        if own && s.target == Some(v) {
            st = st.add_modifier(Modifier::UNDERLINED);
        }
        let hidden = own && !s.shows(v);
        let n = r.jobs.len();
        let seeds = if n > 1 {
            format!(" N={n}")
        } else {
            String::new()
        };
        spans.push(Span::styled(
            format!(
                "{}{} {}{seeds}{}",
                r.prefix,
                theme::variant_mark(v),
                v,
                if hidden { " (hidden)" } else { "" }
            ),
            if hidden { theme::dim() } else { st },
        ));
        spans.push(Span::raw("  "));
    }
    let mut state = Vec::new();
    if s.zoomed() {
        state.push("zoomed (0 resets)".to_string());
    }
    if s.y_full {
        state.push("y: every value".into());
    }
    if run.record.config.seeds > 1 {
        state.push("mean, min-max band, faint seeds".into());
    }
    spans.push(Span::styled(state.join("  "), theme::dim()));
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// The value of every drawn series at the cursor's x.
fn readout(
    f: &mut Frame,
    area: Rect,
    s: &ChartSettings,
    left: &Built,
    pick: Option<Pick>,
    acc: &Built,
) {
    let Some(x) = left.cursor_x.or(acc.cursor_x) else {
        return;
    };
    // Marks, not names, so every series fits on one line at 80 columns.
    let mut spans = vec![Span::styled(
        format!("{} {}: ", s.x_axis.label(), fmt_x(x, s)),
        theme::title(),
    )];
    let mut used = spans[0].content.chars().count();
    let lname = pick.map_or("loss".to_string(), |p| p.label());
    for (b, what, pct) in [(left, lname.as_str(), false), (acc, "val acc", true)] {
        spans.push(Span::styled(format!("{what} "), theme::dim()));
        used += what.chars().count() + 1;
        for d in b.lines.iter().filter(|d| d.role == Role::Main) {
            let (Some(v), Some((_, y))) = (d.variant, d.at_cursor) else {
                continue;
            };
            let y = if s.log_loss && !pct { 10f64.powf(y) } else { y };
            let val = if pct {
                format!("{:.2}%", y * 100.0)
            } else {
                fmt_val(y)
            };
            let tag = d.name.as_deref().unwrap_or("");
            let tag = tag.split(" N=").next().unwrap_or(tag);
            let tag = tag.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>();
            // "B ● plain" → "B●", "● plain" → "●".
            let short: String = tag[..tag.len().saturating_sub(1)].concat();
            let text = format!("{short}{val} ");
            used += text.chars().count();
            if used > area.width as usize {
                break;
            }
            spans.push(Span::styled(text, Style::default().fg(theme::variant(v))));
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

fn fmt_x(x: f64, s: &ChartSettings) -> String {
    match s.x_axis {
        crate::app::XAxis::Steps => format!("{}", x.round() as i64),
        crate::app::XAxis::Epochs => format!("{x:.2}"),
        crate::app::XAxis::Time => super::fmt_secs(x),
    }
}
