//! Inside the nets: p15/p50/p85 bands of a layer's activation input (Ioffe & Szegedy's
//! Figure 1), a heat strip of every layer's gradient norm over time, and the latest
//! per-layer numbers.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Cell, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::charts::{self, Drawn};
use super::{fmt_val, theme};
use crate::app::curves::{self, XAxis};
use crate::app::run_view::RunView;
use crate::app::ChartSettings;
use crate::metric::{Layer, LayerMetric};

fn has_probes(run: &RunView) -> bool {
    run.index.has_layer_metric(LayerMetric::PreactP50)
        || run.index.has_layer_metric(LayerMetric::GradNorm)
}

pub fn draw(f: &mut Frame, area: Rect, run: &RunView) {
    if !has_probes(run) {
        let msg = if run.record.config.probe_every == 0 {
            "This run has no probe metrics: its preset turns the internal probes off (probe interval 0).\n\nSet \"probe interval\" in the settings form (for example 100) to see the activation-input bands and per-layer gradient norms here; the Ioffe & Szegedy 2015 and the 10-layer presets probe by default."
        } else {
            "No probe metrics yet: the first probe comes at step 1, then every few dozen steps."
        };
        f.render_widget(
            Paragraph::new(msg)
                .wrap(Wrap { trim: true })
                .block(Block::bordered().title(" Internals ")),
            area,
        );
        return;
    }
    let [left, right] =
        Layout::horizontal([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(area);
    bands(f, left, run);
    let [heat, table] =
        Layout::vertical([Constraint::Percentage(50), Constraint::Percentage(50)]).areas(right);
    heat_strip(f, heat, run);
    layer_table(f, table, run);
}

fn bands(f: &mut Frame, area: Rect, run: &RunView) {
    let last = run.hidden_layers();
    let layer = run.layer.clamp(1, last.max(1));
    let (kinds, what) = if run.unit_bands {
        (LayerMetric::UNIT_BANDS, format!("one unit of layer {last}"))
    } else {
        (LayerMetric::PREACT_BANDS, format!("layer {layer}"))
    };
    let l = if run.unit_bands { last } else { layer };
    let settings = ChartSettings {
        raw: true,
        x_axis: XAxis::Steps,
        ..ChartSettings::default()
    };
    let mut lines: Vec<Drawn> = Vec::new();
    let width = area.width as usize;
    for v in run.variants() {
        let jobs = run.group(v);
        let color = theme::variant(v);
        for (kind, main) in kinds.into_iter().zip([false, true, false]) {
            let metric = kind.of(Layer::Hidden(l as u16));
            let c = curves::curve(
                &run.record,
                &run.index,
                &run.clocks,
                &jobs,
                metric,
                XAxis::Steps,
            );
            lines.push(Drawn::line(
                main.then(|| format!("{} {}", theme::variant_mark(v), v.as_str())),
                curves::decimate(&c.mean, width * 2),
                if main {
                    Style::default().fg(color)
                } else {
                    Style::default().fg(color).add_modifier(Modifier::DIM)
                },
            ));
        }
    }
    let title = Line::from(vec![
        Span::styled(" Activation input ", theme::title()),
        Span::styled(
            format!("{what}: p15 / p50 / p85 (↑↓ layer, u one unit) "),
            theme::dim(),
        ),
    ]);
    charts::render(f, area, title, lines, &settings, false, false);
}

/// Rows: layers; columns: time; colour: log10 of the gradient norm on a shared scale.
fn heat_strip(f: &mut Frame, area: Rect, run: &RunView) {
    let vs = run.variants();
    let n_layers = run.hidden_layers();
    let names: Vec<Layer> = (0..=n_layers).map(|i| Layer::at(i, n_layers)).collect();
    let block = Block::bordered().title(Line::from(vec![
        Span::styled(" Gradient norm per layer ", theme::title()),
        Span::styled("(time →, dark small, bright large) ", theme::dim()),
    ]));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let per_variant = (inner.height as usize / vs.len().max(1)).max(1);
    let cols = inner.width.saturating_sub(12) as usize;
    if cols < 2 {
        return;
    }
    // One shared log scale so the variants can be compared.
    let mut grids = Vec::new();
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    for &v in &vs {
        let jobs = run.group(v);
        let grid: Vec<Vec<Option<f64>>> = names
            .iter()
            .map(|n| {
                let c = curves::curve(
                    &run.record,
                    &run.index,
                    &run.clocks,
                    &jobs,
                    LayerMetric::GradNorm.of(*n),
                    XAxis::Steps,
                );
                let m = c.mean.len();
                (0..cols)
                    .map(|k| {
                        if m == 0 {
                            return None;
                        }
                        let a = k * m / cols;
                        let b = ((k + 1) * m / cols).max(a + 1).min(m);
                        let vals: Vec<f64> = c.mean[a.min(m - 1)..b]
                            .iter()
                            .map(|p| p.1)
                            .filter(|x| *x > 0.0 && x.is_finite())
                            .collect();
                        (!vals.is_empty())
                            .then(|| (vals.iter().sum::<f64>() / vals.len() as f64).log10())
                    })
                    .collect()
            })
            .collect();
        for x in grid.iter().flatten().flatten() {
            lo = lo.min(*x);
            hi = hi.max(*x);
        }
        grids.push(grid);
    }
    let mut lines = Vec::new();
    for (vi, &v) in vs.iter().enumerate() {
        let grid = &grids[vi];
        // When there are more layers than rows, show every k-th layer and always the output.
        let shown: Vec<usize> = if grid.len() <= per_variant.saturating_sub(1).max(1) {
            (0..grid.len()).collect()
        } else {
            let k = grid.len().div_ceil(per_variant.saturating_sub(1).max(1));
            let mut s: Vec<usize> = (0..grid.len()).step_by(k).collect();
            if s.last() != Some(&(grid.len() - 1)) {
                s.push(grid.len() - 1);
            }
            s
        };
        let shown = &shown[..shown.len().min(per_variant)];
        for (row_i, &li) in shown.iter().enumerate() {
            let label = if row_i == 0 {
                format!("{} {:<5}", theme::variant_mark(v), v.as_str())
            } else {
                " ".repeat(7)
            };
            let mut spans = vec![
                Span::styled(
                    label,
                    Style::default()
                        .fg(theme::variant(v))
                        .add_modifier(Modifier::BOLD),
                ),
                Span::styled(format!("{:>4} ", names[li]), theme::dim()),
            ];
            for cell in &grid[li] {
                spans.push(match cell {
                    Some(x) => {
                        let t = if hi > lo { (x - lo) / (hi - lo) } else { 0.5 };
                        let c = theme::HEAT[((t * 7.0).round() as usize).min(7)];
                        Span::styled(" ", Style::default().bg(c))
                    }
                    None => Span::raw("·"),
                });
            }
            lines.push(Line::from(spans));
        }
    }
    if lo.is_finite() {
        lines.push(Line::from(Span::styled(
            format!(
                "scale: {} … {}",
                fmt_val(10f64.powf(lo)),
                fmt_val(10f64.powf(hi))
            ),
            theme::dim(),
        )));
    }
    f.render_widget(Paragraph::new(lines), inner);
}

/// Latest value of the per-layer probes, per variant.
fn layer_table(f: &mut Frame, area: Rect, run: &RunView) {
    let vs = run.variants();
    let layer = run.layer.clamp(1, run.hidden_layers().max(1));
    let metrics = [
        (LayerMetric::GradNorm, "|grad|"),
        (LayerMetric::WeightNorm, "|W|"),
        (LayerMetric::BnGammaMean, "γ mean"),
        (LayerMetric::BnBetaMean, "β mean"),
        (LayerMetric::BnRmeanDrift, "μ drift"),
    ];
    let mut header = vec![Cell::from(format!("layer {layer}"))];
    header.extend(vs.iter().map(|&v| {
        Cell::from(Span::styled(
            format!("{} {}", theme::variant_mark(v), v.as_str()),
            Style::default().fg(theme::variant(v)),
        ))
    }));
    let rows: Vec<Row> = metrics
        .iter()
        .map(|(m, label)| {
            let mut cells = vec![Cell::from(*label)];
            for &v in &vs {
                let jobs = run.group(v);
                let val = jobs
                    .first()
                    .and_then(|&j| curves::last(&run.index, j, m.of(Layer::Hidden(layer as u16))));
                cells.push(Cell::from(val.map_or("-".into(), fmt_val)));
            }
            Row::new(cells)
        })
        .collect();
    let mut widths = vec![Constraint::Length(9)];
    widths.extend(vs.iter().map(|_| Constraint::Length(11)));
    f.render_widget(
        Table::new(rows, widths)
            .header(Row::new(header).style(theme::dim()))
            .block(Block::bordered().title(" Latest probe (↑↓ layer) ")),
        area,
    );
}
