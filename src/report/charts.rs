//! SVG charts of a run: overlaid curves, internals and sweeps, drawn with plotters.
//! Text is emitted as SVG `<text>`, so no font files are needed to build or to view.

use std::path::Path;

use anyhow::anyhow;
use plotters::prelude::*;

use crate::model::Variant;

/// The variant's colour from the shared palette, the same as on screen.
pub fn color(v: Variant) -> RGBColor {
    let (r, g, b) = crate::palette::rgb(v);
    RGBColor(r, g, b)
}

/// Distinct colors for lines inside one panel (layers, bands).
pub const PALETTE: [RGBColor; 11] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(0, 0, 0),
];

pub struct Line {
    /// Shown in the legend; lines sharing a label after the first are left out of it.
    pub label: String,
    pub color: RGBColor,
    pub points: Vec<(f64, f64)>,
    /// Drawn with markers too (sparse curves such as validation passes or sweeps).
    pub markers: bool,
}

pub struct Panel {
    pub title: String,
    pub x_label: String,
    pub y_label: String,
    pub lines: Vec<Line>,
    /// Points drawn as crosses on the bottom edge, labelled in the title (e.g. diverged runs).
    pub crosses: Vec<(f64, RGBColor)>,
    /// The x axis shows 10^x: values were passed as log10.
    pub log_x: bool,
    /// The y axis shows 10^y: values were passed as log10.
    pub log_y: bool,
    /// Fixed x range, so panels of one figure line up.
    pub x_range: Option<(f64, f64)>,
}

impl Panel {
    pub fn new(title: impl Into<String>, x: impl Into<String>, y: impl Into<String>) -> Self {
        Self {
            title: title.into(),
            x_label: x.into(),
            y_label: y.into(),
            lines: Vec::new(),
            crosses: Vec::new(),
            log_x: false,
            log_y: false,
            x_range: None,
        }
    }

    fn has_data(&self) -> bool {
        self.lines
            .iter()
            .any(|l| l.points.iter().any(|p| p.0.is_finite() && p.1.is_finite()))
    }
}

fn range(vals: impl Iterator<Item = f64>) -> Option<(f64, f64)> {
    let (lo, hi) = vals
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(v), b.max(v))
        });
    if !lo.is_finite() {
        return None;
    }
    if hi - lo < 1e-12 {
        let pad = lo.abs().max(1.0) * 0.05;
        return Some((lo - pad, hi + pad));
    }
    Some((lo, hi))
}

fn fmt_tick(v: f64) -> String {
    // axis ticks computed as sums can land a rounding error away from zero
    if v.abs() < 1e-9 {
        return "0".into();
    }
    let a = v.abs();
    if (0.01..100_000.0).contains(&a) {
        let s = format!("{v:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        format!("{v:.1e}")
    }
}

/// A tick of a log axis: 10^v to two significant digits, since ticks fall between decades.
fn fmt_log_tick(v: f64) -> String {
    let x = 10f64.powf(v);
    let digits = 1 - x.log10().floor() as i32;
    let scale = 10f64.powi(digits);
    fmt_tick((x * scale).round() / scale)
}

fn draw_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, plotters::coord::Shift>,
    p: &Panel,
) -> anyhow::Result<()> {
    // The backend's error type need not be 'static, so it is kept as its message.
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| anyhow!("{e}");
    let xs = p
        .lines
        .iter()
        .flat_map(|l| l.points.iter().map(|q| q.0))
        .chain(p.crosses.iter().map(|c| c.0));
    let Some((x0, x1)) = p.x_range.or_else(|| range(xs)) else {
        return Ok(());
    };
    let Some((y0, y1)) = range(p.lines.iter().flat_map(|l| l.points.iter().map(|q| q.1))) else {
        return Ok(());
    };
    let ypad = (y1 - y0) * 0.05;
    let xpad = if p.log_x { (x1 - x0) * 0.05 } else { 0.0 };
    let mut chart = ChartBuilder::on(area)
        .caption(&p.title, ("sans-serif", 16))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(60)
        .build_cartesian_2d((x0 - xpad)..(x1 + xpad), (y0 - ypad)..(y1 + ypad))
        .map_err(err)?;
    let log_x = p.log_x;
    let xfmt = move |x: &f64| {
        if log_x {
            fmt_log_tick(*x)
        } else {
            fmt_tick(*x)
        }
    };
    let log_y = p.log_y;
    let yfmt = move |y: &f64| {
        if log_y {
            fmt_log_tick(*y)
        } else {
            fmt_tick(*y)
        }
    };
    chart
        .configure_mesh()
        .x_desc(p.x_label.as_str())
        .y_desc(p.y_label.as_str())
        .x_labels(6)
        .y_labels(6)
        .x_label_formatter(&xfmt)
        .y_label_formatter(&yfmt)
        .light_line_style(WHITE.mix(0.0))
        .draw()
        .map_err(err)?;
    let mut seen: Vec<String> = Vec::new();
    for l in &p.lines {
        let pts: Vec<(f64, f64)> = l
            .points
            .iter()
            .copied()
            .filter(|q| q.0.is_finite() && q.1.is_finite())
            .collect();
        let c = l.color;
        let s = chart
            .draw_series(LineSeries::new(pts.clone(), c.stroke_width(2)))
            .map_err(err)?;
        if !l.label.is_empty() && !seen.contains(&l.label) {
            seen.push(l.label.clone());
            s.label(l.label.as_str()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 18, y)], c.stroke_width(2))
            });
        }
        if l.markers {
            chart
                .draw_series(pts.iter().map(|q| Circle::new(*q, 3, c.filled())))
                .map_err(err)?;
        }
    }
    let ybottom = y0 - ypad * 0.5;
    chart
        .draw_series(
            p.crosses
                .iter()
                .map(|(x, c)| Cross::new((*x, ybottom), 7, c.stroke_width(3))),
        )
        .map_err(err)?;
    if !seen.is_empty() {
        chart
            .configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.4))
            .position(SeriesLabelPosition::MiddleRight)
            .draw()
            .map_err(err)?;
    }
    Ok(())
}

/// Draws `panels` in a grid of `cols` columns into one SVG file; false when nothing had data.
pub fn write(path: &Path, title: &str, panels: &[Panel], cols: usize) -> anyhow::Result<bool> {
    let panels: Vec<&Panel> = panels.iter().filter(|p| p.has_data()).collect();
    if panels.is_empty() {
        return Ok(false);
    }
    let cols = cols.clamp(1, panels.len());
    let rows = panels.len().div_ceil(cols);
    let size = (460 * cols as u32, 340 * rows as u32 + 40);
    let fail = |e: &dyn std::fmt::Display| anyhow!("{}: drawing chart: {e}", path.display());
    {
        let root = SVGBackend::new(path, size).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let (top, body) = root.split_vertically(40);
        top.titled(title, ("sans-serif", 20))
            .map_err(|e| fail(&e))?;
        let cells = body.split_evenly((rows, cols));
        for (p, cell) in panels.iter().zip(cells.iter()) {
            draw_panel(cell, p).map_err(|e| fail(&e))?;
        }
        root.present().map_err(|e| fail(&e))?;
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_ticks_have_two_significant_digits() {
        assert_eq!(fmt_log_tick(0.5), "3.2");
        assert_eq!(fmt_log_tick(-0.5), "0.32");
        assert_eq!(fmt_log_tick(1.0), "10");
        assert_eq!(fmt_log_tick(-3.0), "1.0e-3");
    }
}
