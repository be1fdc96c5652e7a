//! The run screen: tabs, gauges, the curve charts, sparklines and the comparison tables.

use crate::metric::Metric;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, LineGauge, Paragraph, Row, Sparkline, Table};
use ratatui::Frame;

use super::charts::{self, Series};
use super::{about, fmt_pct, fmt_secs, fmt_val, footer, internals, theme};
use crate::analysis::verdict::Outcome;
use crate::app::layout::{tab_ranges, TAB_TITLES};
use crate::app::run_view::{GroupStats, RunView};
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
        View::Curves => curves_view(f, body, app, run),
        View::Signals => signals_view(f, body, run),
        View::Internals => internals::draw(f, body, run),
        View::About => about::draw_view(f, body, Some(run), 0),
    }
    let hints = if run.is_running() {
        "space pause  s stop  r restart  e export  Tab view  x axis  w raw  +- smooth  o log  ? help  Esc menu  q quit"
    } else if run.live {
        "R report  r restart  e export  Tab view  x axis  w raw  +- smooth  o log  ? help  Esc menu  q quit"
    } else {
        "R report  e export  Tab view  x axis  w raw  +- smooth  o log  c clear overlay  ? help  Esc back  q quit"
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
    spans.push(Span::raw("  "));
    spans.push(Span::styled(run.label.clone(), theme::title()));
    spans.push(Span::raw(format!(" on {}  ", run.record.config.dataset)));
    spans.push(state);
    if let Some(o) = &run.overlay {
        spans.push(Span::styled(
            format!("  overlay B: {}", o.label),
            theme::key(),
        ));
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect { height: 1, ..area },
    );
}

/// What a frame shows of one variant at the selected point, computed once per frame.
pub struct VariantRow {
    pub variant: Variant,
    pub jobs: Vec<usize>,
    pub stats: GroupStats,
    pub status: Status,
}

pub fn variant_rows(run: &RunView) -> Vec<VariantRow> {
    run.variants()
        .into_iter()
        .map(|variant| {
            let jobs = run.group(variant);
            VariantRow {
                variant,
                stats: run.stats(&jobs),
                status: run.group_status(&jobs),
                jobs,
            }
        })
        .collect()
}

/// One line gauge per variant (at the selected sweep point).
fn gauges(f: &mut Frame, area: Rect, run: &RunView, rows_: &[VariantRow]) {
    let rows = Layout::vertical(rows_.iter().map(|_| Constraint::Length(1))).split(area);
    for (vr, r) in rows_.iter().zip(rows.iter()) {
        let (v, jobs, st, status) = (&vr.variant, &vr.jobs, &vr.stats, vr.status);
        let spe = jobs
            .first()
            .map_or(1, |&j| run.record.jobs[j].steps_per_epoch.max(1));
        let eta = st.eta().map_or("-".into(), fmt_secs);
        let label = Line::from(vec![
            Span::styled(
                format!("{} {:<8}", theme::variant_mark(*v), v.as_str()),
                Style::default()
                    .fg(theme::variant(*v))
                    .add_modifier(Modifier::BOLD),
            ),
            Span::styled(format!("{:<11}", status.as_str()), theme::status(status)),
            Span::raw(format!(
                "step {}/{}  ep {:.1}  {}  ETA {eta} ",
                st.steps,
                st.total,
                st.steps as f64 / (spe * jobs.len().max(1) as u64) as f64,
                fmt_secs(st.elapsed)
            )),
        ]);
        let g = LineGauge::default()
            .ratio(st.ratio())
            .label(label)
            .filled_style(Style::default().fg(theme::variant(*v)))
            .unfilled_style(theme::dim());
        f.render_widget(g, *r);
    }
}

fn curves_view(f: &mut Frame, area: Rect, app: &App, run: &RunView) {
    let vrows = variant_rows(run);
    let nv = vrows.len() as u16;
    let sweep = run.record.config.sweep.is_some();
    let table_h = if sweep {
        run.points() as u16 + 3
    } else {
        nv + 3
    };
    let mut msgs = failure_lines(run);
    msgs.extend(verdict_lines(run));
    let [g, c, t, m] = Layout::vertical([
        Constraint::Length(nv),
        Constraint::Min(8),
        Constraint::Length(table_h),
        Constraint::Length(msgs.len().min(4) as u16),
    ])
    .areas(area);
    gauges(f, g, run, &vrows);
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(c);
    let s = &app.chart;
    let smooth_label = if s.raw {
        "raw".to_string()
    } else {
        format!("smoothing {:.2}", s.smoothing)
    };
    let point = point_label(run);
    let loss = charts::build(
        run,
        &[
            Series {
                metric: Metric::TrainLoss,
                main: true,
                smooth: true,
            },
            Series {
                metric: Metric::ValLoss,
                main: false,
                smooth: false,
            },
        ],
        s,
        s.log_loss,
        left.width,
    );
    let mut title = vec![Span::styled(" Loss ", theme::title())];
    title.push(Span::styled(
        format!(
            "— train  • val  {}{}{point} ",
            smooth_label,
            if s.log_loss { "  log" } else { "" }
        ),
        theme::dim(),
    ));
    charts::render(f, left, Line::from(title), &loss, s, s.log_loss, false);
    let acc = charts::build(
        run,
        &[
            Series {
                metric: Metric::ValAcc,
                main: true,
                smooth: false,
            },
            Series {
                metric: Metric::TrainAcc,
                main: false,
                smooth: true,
            },
        ],
        s,
        false,
        right.width,
    );
    let title = Line::from(vec![
        Span::styled(" Accuracy ", theme::title()),
        Span::styled(format!("— val  • train{point} "), theme::dim()),
    ]);
    charts::render(f, right, title, &acc, s, false, true);
    if sweep {
        sweep_table(f, t, run);
    } else {
        comparison_table(f, t, &vrows);
    }
    if !msgs.is_empty() {
        f.render_widget(Paragraph::new(msgs), m);
    }
}

fn point_label(run: &RunView) -> String {
    match &run.record.config.sweep {
        Some(sw) => {
            let v = sw.values.get(run.point).copied().unwrap_or(f64::NAN);
            format!("  {} = {v} ([ ])", sw.param.as_str())
        }
        None => String::new(),
    }
}

/// Errors of failed or diverged trainers, shown instead of killing the app.
fn failure_lines(run: &RunView) -> Vec<Line<'static>> {
    run.record
        .jobs
        .iter()
        .filter(|j| matches!(j.status, Status::Failed | Status::Diverged))
        .map(|j| {
            Line::from(vec![
                Span::styled(
                    format!(
                        "{} seed {} point {}: {} ",
                        j.id.variant, j.id.seed, j.id.point, j.status
                    ),
                    theme::status(j.status),
                ),
                Span::raw(j.message.clone().unwrap_or_default()),
            ])
        })
        .collect()
}

/// The claim's verdict once the run is over, with the number that decides it.
fn verdict_lines(run: &RunView) -> Vec<Line<'static>> {
    let Some(v) = &run.verdict else {
        return Vec::new();
    };
    let style = match v.outcome {
        Outcome::Supported => Style::default().fg(Color::Green),
        Outcome::Contradicted => Style::default().fg(Color::Red),
        Outcome::Mixed | Outcome::NotSupported => Style::default().fg(Color::Yellow),
    };
    let mut out = vec![Line::from(vec![
        Span::styled(" Verdict: ", theme::title()),
        Span::styled(v.label(), style.add_modifier(Modifier::BOLD)),
        Span::styled(format!(" — {}", v.claim), theme::dim()),
    ])];
    if let Some(d) = v.deciding.first() {
        out.push(Line::from(Span::styled(format!("   {d}"), theme::dim())));
    }
    out
}

fn steps(s: Option<u64>) -> String {
    s.map_or("-".into(), |s| s.to_string())
}

/// Current and best validation accuracy, steps to 90/95/97%, and the difference to the first variant.
pub fn comparison_table(f: &mut Frame, area: Rect, vrows: &[VariantRow]) {
    let base = vrows.first().map(|r| r.stats.clone()).unwrap_or_default();
    let rows: Vec<Row> = vrows
        .iter()
        .enumerate()
        .map(|(i, vr)| {
            let (v, st, status) = (vr.variant, &vr.stats, vr.status);
            let delta = if i == 0 {
                "baseline".to_string()
            } else {
                let acc = match (st.current, base.current) {
                    (Some(a), Some(b)) => format!("{:+.2} pp", (a - b) * 100.0),
                    _ => "-".into(),
                };
                let s95 = match (st.to[1], base.to[1]) {
                    (Some(a), Some(b)) => format!(", {:+} steps to 95%", a as i64 - b as i64),
                    (Some(_), None) => ", reached 95% first".into(),
                    _ => String::new(),
                };
                format!("{acc}{s95}")
            };
            Row::new(vec![
                Cell::from(Span::styled(
                    format!("{} {}", theme::variant_mark(v), v.as_str()),
                    Style::default()
                        .fg(theme::variant(v))
                        .add_modifier(Modifier::BOLD),
                )),
                Cell::from(Span::styled(status.as_str(), theme::status(status))),
                Cell::from(fmt_pct(st.current)),
                Cell::from(fmt_pct(st.best)),
                Cell::from(steps(st.to[0])),
                Cell::from(steps(st.to[1])),
                Cell::from(steps(st.to[2])),
                Cell::from(fmt_pct(st.test)),
                Cell::from(delta),
            ])
        })
        .collect();
    let header = Row::new([
        "variant", "status", "val acc", "best", "→90%", "→95%", "→97%", "test", "vs first",
    ])
    .style(theme::dim());
    let widths = [
        Constraint::Length(11),
        Constraint::Length(11),
        Constraint::Length(8),
        Constraint::Length(8),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(6),
        Constraint::Length(8),
        Constraint::Min(10),
    ];
    f.render_widget(
        Table::new(rows, widths).header(header).block(
            Block::bordered().title(" Comparison (validation accuracy; steps to reach it) "),
        ),
        area,
    );
}

/// One line per sweep point: per variant its status, best validation accuracy and steps to 95%.
fn sweep_table(f: &mut Frame, area: Rect, run: &RunView) {
    let Some(sw) = &run.record.config.sweep else {
        return;
    };
    let vs = run.variants();
    let mut header = vec![Cell::from(sw.param.as_str())];
    for &v in &vs {
        header.push(Cell::from(Span::styled(
            format!(
                "{} {}: status  best  →95%",
                theme::variant_mark(v),
                v.as_str()
            ),
            Style::default().fg(theme::variant(v)),
        )));
    }
    let rows: Vec<Row> = (0..run.points())
        .map(|p| {
            let mut cells = vec![Cell::from(format!(
                "{}{}",
                if p == run.point { "▶ " } else { "  " },
                sw.values.get(p).map_or("?".into(), |v| v.to_string())
            ))];
            for &v in &vs {
                let jobs = curves::group(&run.record, v, p);
                let st = run.stats(&jobs);
                let status = run.group_status(&jobs);
                cells.push(Cell::from(Line::from(vec![
                    Span::styled(format!("{:<11}", status.as_str()), theme::status(status)),
                    Span::raw(format!(" {:>7}  {:>5}", fmt_pct(st.best), steps(st.to[1]))),
                ])));
            }
            let row = Row::new(cells);
            if p == run.point {
                row.style(Style::default().add_modifier(Modifier::BOLD))
            } else {
                row
            }
        })
        .collect();
    let mut widths = vec![Constraint::Length(15)];
    widths.extend(vs.iter().map(|_| Constraint::Length(30)));
    f.render_widget(
        Table::new(rows, widths).header(Row::new(header)).block(
            Block::bordered()
                .title(" Sweep: one pair of nets per value ([ ] choose the charted one) "),
        ),
        area,
    );
}

fn signals_view(f: &mut Frame, area: Rect, run: &RunView) {
    let vrows = variant_rows(run);
    let vs = run.variants();
    let nv = vs.len() as u16;
    let [g, s, t] = Layout::vertical([
        Constraint::Length(nv),
        Constraint::Min(9),
        Constraint::Length(nv + 3),
    ])
    .areas(area);
    gauges(f, g, run, &vrows);
    let cols =
        Layout::horizontal(vs.iter().map(|_| Constraint::Ratio(1, nv.max(1) as u32))).split(s);
    for (&v, col) in vs.iter().zip(cols.iter()) {
        sparklines(f, *col, run, v);
    }
    comparison_table(f, t, &vrows);
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
