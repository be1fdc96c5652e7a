//! Line charts that overlay the variants on shared axes. Curves are smoothed and decimated
//! here, per frame, from the full data the record keeps; the y range frames the informative
//! part (`app::framing`), and a series far off it is clipped to the edge and marked.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Axis, Block, Chart, Dataset, GraphType};
use ratatui::Frame;

use super::{fmt_secs, fmt_val, theme};
use crate::app::curves::{self, Clock, SeriesIndex, XAxis};
use crate::app::framing::{self, Kind, YFrame};
use crate::app::run_view::RunView;
use crate::app::{ChartSettings, Pick};
use crate::model::Variant;
use crate::runs::RunRecord;
use crate::train::Status;

/// How a series is drawn: the main one as a line, the secondary one as dots.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Series {
    pub pick: Pick,
    pub main: bool,
    /// Smoothing applies to per-step metrics, not to the sparse evaluations.
    pub smooth: bool,
}

/// The markers of the overlays' lines, in turn (the shown run draws in Braille).
const OVERLAY_MARKERS: [Marker; 3] = [Marker::Dot, Marker::HalfBlock, Marker::Bar];

/// What a drawn line is, which decides whether it frames the axis and is read out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The mean (or only) curve of a main series: named, framed, read out.
    Main,
    /// The secondary series (dots): framed, not read out.
    Second,
    /// The min-max band and the seeds' own lines: drawn faintly, not framed.
    Faint,
}

/// One drawable line.
pub struct Drawn {
    pub name: Option<String>,
    pub points: Vec<(f64, f64)>,
    pub style: Style,
    pub marker: Marker,
    pub graph: GraphType,
    pub variant: Option<Variant>,
    pub role: Role,
    /// The trainers of this line diverged.
    pub diverged: bool,
    /// The value under the cursor (x, y), for the readout.
    pub at_cursor: Option<(f64, f64)>,
}

impl Drawn {
    /// A plain line, as the internals view draws them.
    pub fn line(name: Option<String>, points: Vec<(f64, f64)>, style: Style) -> Self {
        Self {
            role: if name.is_some() {
                Role::Main
            } else {
                Role::Second
            },
            name,
            points,
            style,
            marker: Marker::Braille,
            graph: GraphType::Line,
            variant: None,
            diverged: false,
            at_cursor: None,
        }
    }
}

pub struct Source<'a> {
    pub record: &'a RunRecord,
    pub index: &'a SeriesIndex,
    pub clocks: &'a [Clock],
    pub prefix: &'a str,
    /// 0 for the shown run, k for the k-th overlay.
    pub overlay: usize,
    pub cache: &'a curves::SmoothCache,
}

pub fn sources(run: &RunView) -> Vec<Source<'_>> {
    let mut v = vec![Source {
        record: &run.record,
        index: &run.index,
        clocks: &run.clocks,
        prefix: "",
        overlay: 0,
        cache: &run.smooth_cache,
    }];
    for (k, o) in run.overlays.iter().enumerate() {
        v.push(Source {
            record: &o.view.record,
            index: &o.view.index,
            clocks: &o.view.clocks,
            prefix: &o.tag,
            overlay: k + 1,
            cache: &o.view.smooth_cache,
        });
    }
    v
}

/// A chart's lines and the x range they are shown on.
pub struct Built {
    pub lines: Vec<Drawn>,
    /// The shown x range (the whole data unless zoomed or panned).
    pub x: [f64; 2],
    pub cursor_x: Option<f64>,
}

type Point = (f64, f64);

/// A line at full resolution, before windowing and decimation.
struct Full<'a> {
    d: Drawn,
    raw: Vec<(f64, f64)>,
    /// Where its smoothed form is cached, when it is smoothed.
    smooth: Option<(&'a curves::SmoothCache, String)>,
    buckets: usize,
}

/// The shown part of `pts` (log scale applied), decimated, and the value at the cursor:
/// only the window is copied, so a long series costs one pass, not several copies.
fn finish(
    pts: &[(f64, f64)],
    x: [f64; 2],
    log: bool,
    buckets: usize,
    cursor: Option<f64>,
) -> (Vec<(f64, f64)>, Option<Point>) {
    let at = cursor.and_then(|cx| value_at(pts, cx));
    let w = window(pts, x);
    if !log {
        return (curves::decimate(w, buckets), at);
    }
    let v = curves::log10(w);
    let at = at.filter(|p| p.1 > 0.0).map(|p| (p.0, p.1.log10()));
    (curves::decimate(&v, buckets), at)
}

/// The part of `p` inside `[x0, x1]`, with one point either side so lines reach the edges.
fn window(p: &[(f64, f64)], x: [f64; 2]) -> &[(f64, f64)] {
    let a = p.partition_point(|q| q.0 < x[0]).saturating_sub(1);
    let b = (p.partition_point(|q| q.0 <= x[1]) + 1).min(p.len());
    &p[a.min(b)..b]
}

/// The last point at or before `x`.
fn value_at(p: &[(f64, f64)], x: f64) -> Option<(f64, f64)> {
    let i = p.partition_point(|q| q.0 <= x);
    i.checked_sub(1).map(|i| p[i])
}

/// The lines of `series` for every shown variant of `run` at its selected point (and the
/// overlay): with several seeds, each seed faintly, the min-max band, and the mean on top.
pub fn build(run: &RunView, series: &[Series], s: &ChartSettings, log: bool, width: u16) -> Built {
    let buckets = (width as usize).max(10);
    let mut full: Vec<Full> = Vec::new();
    for src in sources(run) {
        let point = if src.overlay > 0 { 0 } else { run.point };
        for v in curves::variants(src.record) {
            let jobs = curves::group(src.record, v, point);
            if jobs.is_empty() || !s.shows(v) {
                continue;
            }
            let diverged = jobs
                .iter()
                .any(|&j| src.record.jobs[j].status == Status::Diverged);
            // An overlay is a darker shade of the variant's colour drawn with its own
            // marker, so it is never taken for the shown run.
            let base = if src.overlay > 0 {
                Style::default().fg(theme::overlay(v))
            } else {
                Style::default().fg(theme::variant(v))
            };
            let overlay_marker =
                OVERLAY_MARKERS[src.overlay.saturating_sub(1) % OVERLAY_MARKERS.len()];
            let faint = Style::default().fg(theme::faint(v));
            for ser in series {
                let c =
                    curves::curve_of(src.record, src.index, src.clocks, &jobs, ser.pick, s.x_axis);
                let key = |what: &str| {
                    format!(
                        "{}{v}/{point}/{:?}/{:?}/{what}",
                        src.prefix, ser.pick, s.x_axis
                    )
                };
                let smooth = ser.smooth && !s.raw && s.smoothing > 0.0;
                let mut push = |role: Role, name, raw: Vec<(f64, f64)>, what: &str, style, n| {
                    let (marker, graph) = match (role, ser.main, src.overlay > 0) {
                        (_, true, true) => (overlay_marker, GraphType::Line),
                        (_, false, _) => (Marker::Dot, GraphType::Scatter),
                        _ => (Marker::Braille, GraphType::Line),
                    };
                    let role = if ser.main { role } else { Role::Second };
                    full.push(Full {
                        d: Drawn {
                            name,
                            points: Vec::new(),
                            style,
                            marker,
                            graph,
                            variant: Some(v),
                            role,
                            diverged,
                            at_cursor: None,
                        },
                        raw,
                        smooth: smooth.then(|| (src.cache, key(what))),
                        buckets: n,
                    });
                };
                if ser.main {
                    for (k, seed) in c.seeds.into_iter().enumerate() {
                        push(Role::Faint, None, seed, &format!("seed{k}"), faint, buckets);
                    }
                    if let Some((lo, hi)) = c.band {
                        push(Role::Faint, None, lo, "lo", faint, buckets);
                        push(Role::Faint, None, hi, "hi", faint, buckets);
                    }
                }
                let n = jobs.len();
                let name = ser.main.then(|| {
                    let seeds = if n > 1 {
                        format!(" N={n}")
                    } else {
                        String::new()
                    };
                    format!("{}{} {}{seeds}", src.prefix, theme::variant_mark(v), v)
                });
                let nb = if ser.main { buckets * 2 } else { buckets / 2 };
                push(Role::Main, name, c.mean, "mean", base, nb);
            }
        }
    }
    // Smoothing and the log scale keep each point's x, so the raw points give the range.
    let ([x0, x1], _) = curves::bounds(
        full.iter()
            .filter(|f| f.d.role != Role::Faint)
            .flat_map(|f| [f.raw.first(), f.raw.last()])
            .flatten()
            .map(std::slice::from_ref),
        false,
    );
    let x = framing::x_window([x0, x1], s);
    let cursor_x = s.cursor.map(|c| x[0] + c * (x[1] - x[0]));
    let lines = full
        .into_iter()
        .map(|mut f| {
            let cursor = cursor_x.filter(|_| f.d.role == Role::Main);
            let (points, at) = match &f.smooth {
                // Seconds are re-estimated as the clock learns: the points do not only grow.
                Some(_) if s.x_axis == XAxis::Time => finish(
                    &curves::smooth(&f.raw, s.smoothing),
                    x,
                    log,
                    f.buckets,
                    cursor,
                ),
                Some((cache, key)) => cache.with_smoothed(key, &f.raw, s.smoothing, |sm| {
                    finish(sm, x, log, f.buckets, cursor)
                }),
                None => finish(&f.raw, x, log, f.buckets, cursor),
            };
            f.d.points = points;
            f.d.at_cursor = at;
            f.d
        })
        .collect();
    Built { lines, x, cursor_x }
}

fn x_label(x: f64, axis: XAxis) -> String {
    match axis {
        XAxis::Steps => format!("{}", x.round() as i64),
        XAxis::Epochs => format!("{x:.1}"),
        XAxis::Time => fmt_secs(x),
    }
}

/// The y range of a chart: framed on its main and secondary lines, then zoomed.
pub fn plot_frame(b: &Built, s: &ChartSettings, kind: Kind, log: bool, percent: bool) -> YFrame {
    let framed: Vec<usize> = (0..b.lines.len())
        .filter(|&i| b.lines[i].role != Role::Faint)
        .collect();
    let pts: Vec<&[(f64, f64)]> = framed
        .iter()
        .map(|&i| b.lines[i].points.as_slice())
        .collect();
    let div: Vec<bool> = framed.iter().map(|&i| b.lines[i].diverged).collect();
    let f = framing::frame(&pts, kind, &div, s.y_full);
    let [mut y0, mut y1] = framing::zoomed(f.y, s);
    // Padding must not invent impossible values: no negative loss, no accuracy above 100%.
    let data_min = pts
        .iter()
        .flat_map(|p| p.iter().map(|q| q.1))
        .fold(f64::INFINITY, f64::min);
    if !log && data_min >= 0.0 && s.y_zoom == 1.0 && s.y_pan == 0.0 {
        y0 = y0.max(0.0);
    }
    if percent {
        y1 = y1.min(1.0).max(y0 + 1e-6);
    }
    YFrame {
        y: [y0, y1],
        off: f.off,
    }
}

/// The variants with a line clipped off the chart.
pub fn off_scale(b: &Built, f: &YFrame) -> Vec<Variant> {
    let mut out = Vec::new();
    let framed = b.lines.iter().filter(|d| d.role != Role::Faint);
    for (d, off) in framed.zip(&f.off) {
        if let (true, Some(v)) = (*off, d.variant) {
            if !out.contains(&v) {
                out.push(v);
            }
        }
    }
    out
}

fn clipped(p: &[(f64, f64)], y: [f64; 2]) -> Vec<(f64, f64)> {
    p.iter()
        .filter(|q| q.1.is_finite())
        .map(|&(x, v)| (x, v.clamp(y[0], y[1])))
        .collect()
}

/// Draws a chart of built lines on the frame `yf`; says so when there is nothing yet.
#[allow(clippy::too_many_arguments)]
pub fn render_built(
    f: &mut Frame,
    area: Rect,
    title: Line,
    b: &Built,
    yf: &YFrame,
    s: &ChartSettings,
    log: bool,
    percent: bool,
) {
    let block = Block::bordered().title(title);
    if b.lines.iter().all(|d| d.points.is_empty()) {
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
    let ([x0, x1], [y0, y1]) = (b.x, yf.y);
    let ylab = |y: f64| {
        if log {
            fmt_val(10f64.powf(y))
        } else if percent {
            let span = (y1 - y0) * 100.0;
            if span < 2.0 {
                format!("{:.2}%", y * 100.0)
            } else {
                format!("{:.1}%", y * 100.0)
            }
        } else {
            fmt_val(y)
        }
    };
    // Lines off scale run along the edge; the others are cut by the plot's bounds.
    let off = off_scale(b, yf);
    let mut data: Vec<Vec<(f64, f64)>> = b
        .lines
        .iter()
        .map(|d| match d.variant {
            Some(v) if off.contains(&v) => clipped(&d.points, yf.y),
            _ => d.points.clone(),
        })
        .collect();
    if let Some(cx) = b.cursor_x {
        data.push(vec![(cx, y0), (cx, y1)]);
    }
    let mut datasets: Vec<Dataset> = b
        .lines
        .iter()
        .zip(&data)
        .map(|(d, pts)| {
            Dataset::default()
                .data(pts)
                .marker(d.marker)
                .graph_type(d.graph)
                .style(d.style)
        })
        .collect();
    if b.cursor_x.is_some() {
        if let Some(pts) = data.last() {
            datasets.push(
                Dataset::default()
                    .data(pts)
                    .marker(Marker::Braille)
                    .graph_type(GraphType::Line)
                    .style(Style::default().fg(Color::White)),
            );
        }
    }
    // The legend is drawn outside the plot (by the caller), never over the curves.
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
        .legend_position(None);
    f.render_widget(chart, area);
}

/// A chart of lines framed on every value (the internals view).
pub fn render(
    f: &mut Frame,
    area: Rect,
    title: Line,
    lines: Vec<Drawn>,
    s: &ChartSettings,
    log: bool,
    percent: bool,
) {
    let ([x0, x1], _) = curves::bounds(lines.iter().map(|d| d.points.as_slice()), true);
    let b = Built {
        lines,
        x: [x0, x1],
        cursor_x: None,
    };
    let full = ChartSettings {
        y_full: true,
        ..ChartSettings::default()
    };
    let yf = plot_frame(&b, &full, Kind::Other, log, percent);
    render_built(f, area, title, &b, &yf, s, log, percent);
}

/// Names of the variants with their colour and mark, for titles and legends.
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
