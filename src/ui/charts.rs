//! Line charts that overlay the variants on shared axes. Curves are smoothed and decimated
//! here, per frame, from the full data the record keeps.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType, LegendPosition};
use ratatui::Frame;

use super::{fmt_secs, fmt_val, theme};
use crate::app::curves::{self, Clock, Curve, SeriesIndex, XAxis};
use crate::app::run_view::RunView;
use crate::app::ChartSettings;
use crate::metric::Metric;
use crate::model::Variant;
use crate::runs::RunRecord;

/// How a metric is drawn: the main one as a line, the secondary one as dots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Series {
    pub metric: Metric,
    pub main: bool,
    /// Smoothing applies to per-step metrics, not to the sparse evaluations.
    pub smooth: bool,
}

/// One drawable line.
pub struct Drawn {
    pub name: Option<String>,
    pub points: Vec<(f64, f64)>,
    pub style: Style,
    pub marker: Marker,
    pub graph: GraphType,
}

pub struct Source<'a> {
    pub record: &'a RunRecord,
    pub index: &'a SeriesIndex,
    pub clocks: &'a [Clock],
    pub prefix: &'a str,
    pub overlay: bool,
    pub cache: &'a curves::SmoothCache,
}

pub fn sources(run: &RunView) -> Vec<Source<'_>> {
    let mut v = vec![Source {
        record: &run.record,
        index: &run.index,
        clocks: &run.clocks,
        prefix: "",
        overlay: false,
        cache: &run.smooth_cache,
    }];
    if let Some(o) = &run.overlay {
        v.push(Source {
            record: &o.record,
            index: &o.index,
            clocks: &o.clocks,
            prefix: "B ",
            overlay: true,
            cache: &o.smooth_cache,
        });
    }
    v
}

/// Transforms a curve for drawing: smoothing, log scale, decimation to `buckets`.
pub fn prepare(
    points: &[(f64, f64)],
    s: &ChartSettings,
    smooth: bool,
    log: bool,
    buckets: usize,
) -> Vec<(f64, f64)> {
    let smoothed = smooth && !s.raw && s.smoothing > 0.0;
    if !smoothed && !log {
        return curves::decimate(points, buckets);
    }
    let mut v = if smoothed {
        curves::smooth(points, s.smoothing)
    } else {
        points.to_vec()
    };
    if log {
        v.retain(|p| p.1 > 0.0 && p.1.is_finite());
        for p in &mut v {
            p.1 = p.1.log10();
        }
    }
    curves::decimate(&v, buckets)
}

/// The lines of `series` for every variant of `run` at its selected point (and the overlay).
pub fn build(
    run: &RunView,
    series: &[Series],
    s: &ChartSettings,
    log: bool,
    width: u16,
) -> Vec<Drawn> {
    let buckets = (width as usize).max(10);
    let mut out = Vec::new();
    for src in sources(run) {
        let point = if src.overlay { 0 } else { run.point };
        for v in curves::variants(src.record) {
            let jobs = curves::group(src.record, v, point);
            if jobs.is_empty() {
                continue;
            }
            let color = theme::variant(v);
            for ser in series {
                let c: Curve = curves::curve(
                    src.record, src.index, src.clocks, &jobs, ser.metric, s.x_axis,
                );
                let base = Style::default().fg(color);
                let (marker, graph) = match (ser.main, src.overlay) {
                    (true, false) => (Marker::Braille, GraphType::Line),
                    (true, true) => (Marker::Dot, GraphType::Line),
                    (false, _) => (Marker::Dot, GraphType::Scatter),
                };
                if let Some((lo, hi)) = &c.band {
                    for b in [lo, hi] {
                        out.push(Drawn {
                            name: None,
                            points: prepare(b, s, ser.smooth, log, buckets),
                            style: base.add_modifier(Modifier::DIM),
                            marker: Marker::Braille,
                            graph: GraphType::Line,
                        });
                    }
                }
                let name = ser
                    .main
                    .then(|| format!("{}{} {}", src.prefix, theme::variant_mark(v), v.as_str()));
                let buckets_here = if ser.main { buckets * 2 } else { buckets / 2 };
                let cacheable = c.band.is_none()
                    && ser.smooth
                    && !s.raw
                    && s.smoothing > 0.0
                    && s.x_axis != XAxis::Time;
                if cacheable {
                    let key = format!("{v}/{point}/{}/{:?}", ser.metric, s.x_axis);
                    let points = src.cache.with_smoothed(&key, &c.mean, s.smoothing, |sm| {
                        let raw = ChartSettings { raw: true, ..*s };
                        prepare(sm, &raw, false, log, buckets_here)
                    });
                    out.push(Drawn {
                        name,
                        points,
                        style: base,
                        marker,
                        graph,
                    });
                    continue;
                }
                out.push(Drawn {
                    name,
                    points: prepare(
                        &c.mean,
                        s,
                        ser.smooth,
                        log,
                        if ser.main { buckets * 2 } else { buckets / 2 },
                    ),
                    style: base,
                    marker,
                    graph,
                });
            }
        }
    }
    out
}

fn x_label(x: f64, axis: XAxis) -> String {
    match axis {
        XAxis::Steps => format!("{}", x.round() as i64),
        XAxis::Epochs => format!("{x:.1}"),
        XAxis::Time => fmt_secs(x),
    }
}

/// Draws a chart of prepared lines; says so when there is nothing yet.
pub fn render(
    f: &mut Frame,
    area: Rect,
    title: Line,
    lines: &[Drawn],
    s: &ChartSettings,
    log: bool,
    percent: bool,
) {
    let ([x0, x1], [mut y0, mut y1]) =
        curves::bounds(lines.iter().map(|d| d.points.as_slice()), true);
    // Padding must not invent impossible values: no negative loss, no accuracy above 100%.
    let data_min = lines
        .iter()
        .flat_map(|d| d.points.iter().map(|p| p.1))
        .fold(f64::INFINITY, f64::min);
    if !log && data_min >= 0.0 {
        y0 = y0.max(0.0);
    }
    if percent {
        y1 = y1.min(1.0).max(y0 + 1e-6);
    }
    let empty = lines.iter().all(|d| d.points.is_empty());
    let block = Block::bordered().title(title);
    if empty {
        f.render_widget(
            ratatui::widgets::Paragraph::new(Span::styled(
                "waiting for the first values…",
                theme::dim(),
            ))
            .block(block),
            area,
        );
        return;
    }
    let ylab = |y: f64| {
        if log {
            fmt_val(10f64.powf(y))
        } else if percent {
            format!("{:.1}%", y * 100.0)
        } else {
            fmt_val(y)
        }
    };
    let datasets: Vec<Dataset> = lines
        .iter()
        .map(|d| {
            let mut ds = Dataset::default()
                .data(&d.points)
                .marker(d.marker)
                .graph_type(d.graph)
                .style(d.style);
            if let Some(n) = &d.name {
                ds = ds.name(n.clone());
            }
            ds
        })
        .collect();
    let chart = Chart::new(datasets)
        .block(block)
        .x_axis(
            Axis::default()
                .title(Span::styled(s.x_axis.label(), theme::dim()))
                .bounds([x0, x1])
                .labels([
                    x_label(x0, s.x_axis),
                    x_label((x0 + x1) / 2.0, s.x_axis),
                    x_label(x1, s.x_axis),
                ])
                .style(theme::dim()),
        )
        .y_axis(
            Axis::default()
                .bounds([y0, y1])
                .labels([ylab(y0), ylab((y0 + y1) / 2.0), ylab(y1)])
                .style(theme::dim()),
        )
        .legend_position(Some(LegendPosition::TopRight))
        .hidden_legend_constraints((Constraint::Percentage(50), Constraint::Percentage(60)));
    f.render_widget(chart, area);
}

/// Names of the variants with their colour and mark, for titles.
pub fn legend_spans(vs: &[Variant]) -> Vec<Span<'static>> {
    vs.iter()
        .flat_map(|&v| {
            [
                Span::styled(
                    format!("{} {}", theme::variant_mark(v), v.as_str()),
                    Style::default()
                        .fg(theme::variant(v))
                        .add_modifier(Modifier::BOLD),
                ),
                Span::raw(" "),
            ]
        })
        .collect()
}
