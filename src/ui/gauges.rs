//! The lines above and below the charts: one progress gauge per variant, the errors of
//! failed or diverged trainers, and the claim's verdict once the run is over.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::LineGauge;
use ratatui::Frame;

use super::compare::{self, VariantRow};
use super::{fmt_secs, theme};
use crate::analysis::verdict::Outcome;
use crate::app::run_view::RunView;
use crate::train::Status;

/// One line gauge per variant (at the selected sweep point).
pub fn gauges(f: &mut Frame, area: Rect, run: &RunView, rows_: &[&VariantRow]) {
    let rows = Layout::vertical(rows_.iter().map(|_| Constraint::Length(1))).split(area);
    // As wide as the longest name shown plus a space, so `plain-dropout` never runs into its status.
    let name_w = rows_
        .iter()
        .map(|r| r.variant.as_str().len() + 1)
        .max()
        .unwrap_or(0)
        .max(9);
    for (vr, r) in rows_.iter().zip(rows.iter()) {
        let (v, jobs, st, status) = (&vr.variant, &vr.jobs, &vr.stats, vr.status);
        let spe = jobs
            .first()
            .map_or(1, |&j| run.record.jobs[j].steps_per_epoch.max(1));
        // No ETA once the trainers have stopped, whatever the reason.
        let eta = match st.eta() {
            Some(e) if !run.paused => format!("  ETA {}", fmt_secs(e)),
            _ => String::new(),
        };
        let name = Span::styled(
            format!("{} {:<name_w$}", theme::variant_mark(*v), v.as_str()),
            Style::default()
                .fg(theme::variant(*v))
                .add_modifier(Modifier::BOLD),
        );
        let status_span = Span::styled(
            format!("{:<12}", compare::status_text(status, run.live)),
            theme::status(status),
        );
        let progress = if status == Status::Pending && run.live {
            Span::styled(
                "for a free core (trainers run `parallel` at a time) ",
                theme::dim(),
            )
        } else {
            // Per seed, so 3 seeds of 2,400 steps read 2400/2400 ×3 rather than 7200/7200.
            let n = jobs.len().max(1) as u64;
            let seeds = if n > 1 {
                format!(" ×{n}")
            } else {
                String::new()
            };
            Span::raw(format!(
                "step {}/{}{seeds}  ep {:.1}  {}{eta} ",
                st.steps.div_ceil(n),
                st.total.div_ceil(n),
                st.steps as f64 / (spe * n) as f64,
                fmt_secs(st.elapsed)
            ))
        };
        let label = Line::from(vec![name, status_span, progress]);
        let g = LineGauge::default()
            .ratio(st.ratio())
            .label(label)
            .filled_style(Style::default().fg(theme::variant(*v)))
            .unfilled_style(theme::dim());
        f.render_widget(g, *r);
    }
}

/// Errors of failed or diverged trainers, shown instead of killing the app.
pub fn failure_lines(run: &RunView) -> Vec<Line<'static>> {
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
pub fn verdict_lines(run: &RunView) -> Vec<Line<'static>> {
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
