//! The comparison tables under the charts: the variants at the latest step they have all
//! reached (so a faster trainer is not compared with a slower one's earlier state), and one
//! line per sweep point.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Row, Table};
use ratatui::Frame;

use super::{fmt_pct, theme};
use crate::app::curves;
use crate::app::run_view::{GroupStats, RunView};
use crate::model::Variant;
use crate::train::Status;

/// What a frame shows of one variant at the selected point, computed once per frame.
pub struct VariantRow {
    pub variant: Variant,
    /// The tag of the run it belongs to ("" for the shown run, "B " for an overlay).
    pub prefix: String,
    pub jobs: Vec<usize>,
    /// Accuracy numbers at the common step, progress numbers as they are.
    pub stats: GroupStats,
    pub status: Status,
}

/// The step the table compares at, or why there is none yet.
pub enum At {
    Step(u64),
    Waiting(Variant),
}

/// The shown status: a trainer not started in a live run waits for a core.
pub fn status_text(status: Status, live: bool) -> &'static str {
    match status {
        Status::Pending if live => "waiting",
        s => s.as_str(),
    }
}

pub fn variant_rows(run: &RunView) -> (Vec<VariantRow>, At) {
    // Each group's validation series once, for the common step and for its numbers.
    let groups: Vec<(Variant, Vec<usize>)> = run
        .variants()
        .into_iter()
        .map(|v| (v, run.group(v)))
        .collect();
    let vals: Vec<_> = groups
        .iter()
        .map(|(v, jobs)| (*v, run.group_status(jobs), run.val_series(jobs)))
        .collect();
    let at = match crate::app::run_view::common_step_of(&vals) {
        Ok(s) => At::Step(s),
        Err(v) => At::Waiting(v),
    };
    let upto = match at {
        At::Step(s) => Some(s),
        At::Waiting(_) => Some(0),
    };
    let mut rows: Vec<VariantRow> = groups
        .into_iter()
        .zip(vals)
        .map(|((variant, jobs), (_, status, val))| {
            // A diverged trainer stopped early: its own last numbers are what it has.
            let cut = (!matches!(status, Status::Diverged | Status::Failed))
                .then_some(upto)
                .flatten();
            VariantRow {
                variant,
                prefix: String::new(),
                stats: run.stats_of(&jobs, val, cut),
                status,
                jobs,
            }
        })
        .collect();
    for o in &run.overlays {
        for v in o.view.variants() {
            let jobs = o.view.group(v);
            rows.push(VariantRow {
                variant: v,
                prefix: o.tag.clone(),
                stats: o.view.stats(&jobs),
                status: o.view.group_status(&jobs),
                jobs,
            });
        }
    }
    (rows, at)
}

fn steps(s: Option<u64>) -> String {
    s.map_or("-".into(), |s| s.to_string())
}

/// The difference to the first variant: accuracy in points, steps to 95% (short forms when
/// the table is narrow).
fn delta(st: &GroupStats, base: &GroupStats, narrow: bool) -> String {
    let acc = match (st.current, base.current) {
        (Some(a), Some(b)) if narrow => format!("{:+.2}pp", (a - b) * 100.0),
        (Some(a), Some(b)) => format!("{:+.2} pp", (a - b) * 100.0),
        _ => "-".into(),
    };
    let s95 = match (st.to[1], base.to[1]) {
        (Some(a), Some(b)) if narrow => format!(" {:+}st", a as i64 - b as i64),
        (Some(a), Some(b)) => format!(", {:+} steps to 95%", a as i64 - b as i64),
        (Some(_), None) if narrow => " 95% 1st".into(),
        (Some(_), None) => ", reached 95% first".into(),
        _ => String::new(),
    };
    format!("{acc}{s95}")
}

/// Current and best validation accuracy, steps to 90/95/97%, and the difference to the
/// first variant, all at the common step; columns are left out when the table is narrow.
pub fn comparison_table(f: &mut Frame, area: Rect, run: &RunView, vrows: &[VariantRow], at: &At) {
    let wide = area.width >= 100;
    let base = vrows.first().map(|r| r.stats.clone()).unwrap_or_default();
    let rows: Vec<Row> = vrows
        .iter()
        .enumerate()
        .map(|(i, vr)| {
            let (v, st, status) = (vr.variant, &vr.stats, vr.status);
            let d = if i == 0 {
                "baseline".to_string()
            } else {
                delta(st, &base, !wide)
            };
            let style = Style::default()
                .fg(theme::variant(v))
                .add_modifier(Modifier::BOLD);
            let style = if vr.prefix.is_empty() {
                style
            } else {
                style.add_modifier(Modifier::ITALIC)
            };
            let mut cells = vec![
                Cell::from(Span::styled(
                    format!("{}{} {}", vr.prefix, theme::variant_mark(v), v.as_str()),
                    style,
                )),
                Cell::from(Span::styled(
                    status_text(status, run.live && vr.prefix.is_empty()),
                    theme::status(status),
                )),
                Cell::from(fmt_pct(st.current)),
                Cell::from(fmt_pct(st.best)),
            ];
            if wide {
                cells.push(Cell::from(steps(st.to[0])));
            }
            cells.push(Cell::from(steps(st.to[1])));
            if wide {
                cells.push(Cell::from(steps(st.to[2])));
                cells.push(Cell::from(fmt_pct(st.test)));
            }
            cells.push(Cell::from(d));
            Row::new(cells)
        })
        .collect();
    let mut header = vec!["variant", "status", "val acc", "best"];
    let mut widths = vec![
        Constraint::Length(13),
        Constraint::Length(11),
        Constraint::Length(7),
        Constraint::Length(7),
    ];
    if wide {
        header.extend(["→90%", "→95%", "→97%", "test"]);
        widths.extend([
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(6),
            Constraint::Length(7),
        ]);
    } else {
        header.push("→95%");
        widths.push(Constraint::Length(6));
    }
    header.push("vs first");
    widths.push(Constraint::Min(8));
    let title = match at {
        At::Step(s) if run.all_final() => format!(" Compared at step {s}, the last all reached "),
        At::Step(s) => format!(" Compared at step {s}, the latest all variants reached "),
        At::Waiting(v) => format!(" Waiting for {v}'s first evaluation to compare "),
    };
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme::dim()))
            .block(Block::bordered().title(title)),
        area,
    );
}

/// One line per sweep point: per variant its status, best validation accuracy and steps to 95%.
pub fn sweep_table(f: &mut Frame, area: Rect, run: &RunView) {
    let Some(sw) = &run.record.config.sweep else {
        return;
    };
    let vs = run.variants();
    let mut header = vec![Cell::from(sw.param.as_str())];
    for &v in &vs {
        header.push(Cell::from(Span::styled(
            format!("{} {}: status  best  →95%", theme::variant_mark(v), v),
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
                    Span::styled(
                        format!("{:<12}", status_text(status, run.live)),
                        theme::status(status),
                    ),
                    Span::raw(format!("{:>7}  {:>5}", fmt_pct(st.best), steps(st.to[1]))),
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
    let mut widths = vec![Constraint::Length(12)];
    widths.extend(vs.iter().map(|_| Constraint::Length(28)));
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header))
            .block(Block::bordered().title(" Sweep: one pair of nets per value ([ ] chart one) ")),
        area,
    );
}
