//! The run screen: tabs, gauges, the curve charts, sparklines and the comparison tables.

use crate::metric::Metric;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Sparkline};
use ratatui::Frame;

use super::compare::{self, VariantRow};
use super::gauges::gauges;
use super::{about, curves_view, fmt_val, footer, internals, theme};
use crate::app::layout::{tab_ranges, TAB_TITLES};
use crate::app::run_view::RunView;
use crate::app::{curves, App, View};
use crate::model::Variant;
use crate::train::Status;

pub fn draw(f: &mut Frame, area: Rect, app: &App) {
    let Some(run) = &app.run else {
        f.render_widget(
            Paragraph::new("No run yet: pick an experiment in the menu (Esc)."),
            area,
        );
        return;
    };
    tabs(f, area, app, run);
    let body = Rect {
        y: area.y + 1,
        height: area.height.saturating_sub(2),
        ..area
    };
    match app.view {
        View::Curves => curves_view::draw(f, body, app, run),
        View::Signals => signals_view(f, body, run),
        View::Internals => internals::draw(f, body, run),
        View::About => about::draw_view(f, body, Some(run), 0),
    }
    // Most wanted first: the footer drops hints from the end when they do not fit.
    let hints = if run.is_running() && run.paused {
        "? help  space resume  . step  s stop  m metric  ←→ cursor  z zoom  e export  Tab view  r restart  Esc menu  q quit"
    } else if run.is_running() {
        "? help  space pause  s stop  m metric  ←→ cursor  z zoom  t/H/O series  e export  Tab view  r restart  Esc menu  q quit"
    } else if run.live {
        "? help  R report  m metric  ←→ cursor  z zoom  t/H/O series  e export  Tab view  r restart  Esc menu  q quit"
    } else {
        "? help  R report  m metric  ←→ cursor  z zoom  t/H/O series  c clear overlays  Tab view  Esc back  q quit"
    };
    footer(f, area, app, hints);
}

fn tabs(f: &mut Frame, area: Rect, app: &App, run: &RunView) {
    let mut spans = Vec::new();
    let ranges = tab_ranges(area);
    let mut x = area.x;
    for (i, ((tx, _), t)) in ranges.iter().zip(TAB_TITLES).enumerate() {
        spans.push(Span::raw(" ".repeat((tx - x) as usize)));
        let st = if i == app.view.index() {
            theme::selected()
        } else {
            theme::dim()
        };
        spans.push(Span::styled(format!(" {t} "), st));
        x = tx + t.chars().count() as u16 + 2;
    }
    let state = if run.is_running() {
        if run.paused {
            Span::styled("PAUSED", theme::status(Status::Paused))
        } else {
            Span::styled("training", theme::status(Status::Running))
        }
    } else if run.live {
        Span::styled("done", theme::status(Status::Finished))
    } else {
        Span::styled("saved run", theme::dim())
    };
    // What is left of the line after the tabs, the state first: the label is shortened
    // on purpose rather than cut by the edge.
    let room = (area.x + area.width).saturating_sub(x) as usize;
    let state_w = state.content.chars().count() + 2;
    let mut rest = format!("  {} on {}", run.label, run.record.config.dataset);
    for o in &run.overlays {
        rest.push_str(&format!("  +{}{}", o.tag, o.label));
    }
    spans.push(Span::raw("  "));
    spans.push(state);
    spans.push(Span::styled(
        super::shorten(&rest, room.saturating_sub(state_w)),
        theme::title(),
    ));
    f.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect { height: 1, ..area },
    );
}

fn signals_view(f: &mut Frame, area: Rect, run: &RunView) {
    let (vrows, at) = compare::variant_rows(run);
    let shown: Vec<&VariantRow> = vrows.iter().filter(|r| r.prefix.is_empty()).collect();
    let vs = run.variants();
    let nv = vs.len() as u16;
    let [g, s, t] = Layout::vertical([
        Constraint::Length(nv),
        Constraint::Min(9),
        Constraint::Length(vrows.len() as u16 + 3),
    ])
    .areas(area);
    gauges(f, g, run, &shown);
    let cols =
        Layout::horizontal(vs.iter().map(|_| Constraint::Ratio(1, nv.max(1) as u32))).split(s);
    for (&v, col) in vs.iter().zip(cols.iter()) {
        sparklines(f, *col, run, v);
    }
    compare::comparison_table(f, t, run, &vrows, &at);
}

/// Recent step loss, throughput and gradient norm of one variant.
fn sparklines(f: &mut Frame, area: Rect, run: &RunView, v: Variant) {
    let jobs = run.group(v);
    // The trainer currently working (or the last one) stands for the group.
    let job = jobs
        .iter()
        .copied()
        .find(|&j| run.record.jobs[j].status == Status::Running)
        .or_else(|| jobs.last().copied());
    let rows = Layout::vertical([Constraint::Ratio(1, 3); 3]).split(area);
    let n = area.width.saturating_sub(2) as usize;
    let color = theme::variant(v);
    let series: [(&str, Vec<f64>); 3] = match job {
        Some(j) => [
            ("loss", curves::recent(&run.index, j, Metric::TrainLoss, n)),
            (
                "samples/s",
                run.throughput
                    .get(j)
                    .map(|t| t.iter().skip(t.len().saturating_sub(n)).copied().collect())
                    .unwrap_or_default(),
            ),
            (
                "grad norm",
                curves::recent(&run.index, j, Metric::GradNorm, n),
            ),
        ],
        None => [
            ("loss", vec![]),
            ("samples/s", vec![]),
            ("grad norm", vec![]),
        ],
    };
    for ((name, data), r) in series.iter().zip(rows.iter()) {
        let last = data.last().map_or("-".into(), |x| fmt_val(*x));
        let max = data
            .iter()
            .copied()
            .filter(|x| x.is_finite())
            .fold(0.0, f64::max);
        let title = Line::from(vec![
            Span::styled(
                format!(" {} {} ", theme::variant_mark(v), v.as_str()),
                Style::default().fg(color).add_modifier(Modifier::BOLD),
            ),
            Span::raw(format!("{name} {last} ")),
            Span::styled(format!("max {} ", fmt_val(max)), theme::dim()),
        ]);
        let bars: Vec<u64> = data
            .iter()
            .map(|x| {
                if x.is_finite() && max > 0.0 {
                    (x / max * 1000.0).clamp(0.0, 1000.0) as u64
                } else {
                    0
                }
            })
            .collect();
        f.render_widget(
            Sparkline::default()
                .data(&bars)
                .max(1000)
                .style(Style::default().fg(color))
                .block(Block::bordered().title(title)),
            *r,
        );
    }
}
