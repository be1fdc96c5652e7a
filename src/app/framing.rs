//! Which part of the y range a chart shows. Accuracy spends most of a run near its top, and
//! a diverged loss reaches 10²⁹: framing on every value would flatten what the user came to
//! compare, so the range is taken from the part of each curve after its first rise (or fall),
//! and a series far outside the others is clipped and marked instead of stretching the axis.

use super::ChartSettings;

/// Which way a metric improves, which tells where its informative part starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Accuracy-like: the curve rises, then the differences are near the top.
    Higher,
    /// Loss-like: the curve falls, then the differences are near the bottom.
    Lower,
    /// Anything else: every value counts.
    Other,
}

/// Share of a curve's first rise after which its values frame the axis.
pub const SETTLED: f64 = 0.9;
/// A loss whose largest value is this many times the others' largest is off scale.
pub const OFF_SCALE: f64 = 100.0;

/// The y range chosen and which lines are drawn clipped.
#[derive(Debug, Clone, PartialEq)]
pub struct YFrame {
    pub y: [f64; 2],
    pub off: Vec<bool>,
}

fn finite_max(p: &[(f64, f64)]) -> Option<f64> {
    p.iter()
        .map(|q| q.1)
        .filter(|v| v.is_finite())
        .reduce(f64::max)
}

/// For accuracy, the part of `p` after it first covered `SETTLED` of the way from its first
/// value to its best one; all of it for other kinds.
pub fn settled(p: &[(f64, f64)], kind: Kind) -> &[(f64, f64)] {
    let mut finite = p.iter().map(|q| q.1).filter(|v| v.is_finite());
    let Some(first) = finite.next() else {
        return p;
    };
    // A loss's fall is what the chart is about, so it keeps its start (clipping and the
    // log scale deal with a loss that explodes); accuracy is framed after its first rise.
    let best = match kind {
        Kind::Higher => finite.fold(first, f64::max),
        Kind::Lower | Kind::Other => return p,
    };
    let mark = first + SETTLED * (best - first);
    let start = p.iter().position(|q| q.1 >= mark);
    &p[start.unwrap_or(0)..]
}

/// The y range of `lines`: the informative part of each (every value with `full`), over the
/// lines that are not off scale; `diverged` marks lines whose trainer diverged. Padded by 5%
/// of the span; a flat range gets a visible height.
pub fn frame(lines: &[&[(f64, f64)]], kind: Kind, diverged: &[bool], full: bool) -> YFrame {
    let maxes: Vec<Option<f64>> = lines.iter().map(|l| finite_max(l)).collect();
    // Only a loss explodes; a diverged net's accuracy (stuck near chance) is worth seeing.
    let mut off: Vec<bool> = (0..lines.len())
        .map(|i| {
            kind == Kind::Lower && diverged.get(i).copied().unwrap_or(false) && maxes[i].is_some()
        })
        .collect();
    if kind == Kind::Lower {
        for i in 0..lines.len() {
            let others = (0..lines.len())
                .filter(|&j| j != i && !off[j])
                .filter_map(|j| maxes[j])
                .filter(|m| *m > 0.0)
                .reduce(f64::min);
            if let (Some(m), Some(o)) = (maxes[i], others) {
                off[i] |= m > OFF_SCALE * o;
            }
        }
    }
    let framed: Vec<usize> = (0..lines.len())
        .filter(|&i| !off[i] && maxes[i].is_some())
        .collect();
    if framed.is_empty() {
        // Nothing left to frame on: show what there is rather than an empty axis.
        off.iter_mut().for_each(|o| *o = false);
    }
    let use_line = |i: usize| framed.is_empty() || framed.contains(&i);
    let (mut y0, mut y1) = (f64::INFINITY, f64::NEG_INFINITY);
    for (_, l) in lines.iter().enumerate().filter(|(i, _)| use_line(*i)) {
        let part = if full { l } else { settled(l, kind) };
        for &(_, v) in part.iter().filter(|q| q.1.is_finite()) {
            y0 = y0.min(v);
            y1 = y1.max(v);
        }
    }
    if !y0.is_finite() {
        return YFrame { y: [0.0, 1.0], off };
    }
    if y1 <= y0 {
        let d = y0.abs().max(1e-3) * 0.05;
        return YFrame {
            y: [y0 - d, y1 + d],
            off,
        };
    }
    let d = (y1 - y0) * 0.05;
    YFrame {
        y: [y0 - d, y1 + d],
        off,
    }
}

/// `y` after the user's zoom and pan.
pub fn zoomed(y: [f64; 2], s: &ChartSettings) -> [f64; 2] {
    let span = (y[1] - y[0]) / s.y_zoom.max(1e-6);
    let mid = (y[0] + y[1]) / 2.0 + s.y_pan * (y[1] - y[0]);
    [mid - span / 2.0, mid + span / 2.0]
}

/// The shown part of an x range `[x0, x1]`.
pub fn x_window(x: [f64; 2], s: &ChartSettings) -> [f64; 2] {
    let w = x[1] - x[0];
    [x[0] + s.x_view.0 * w, x[0] + s.x_view.1 * w]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(v: &[f64]) -> Vec<(f64, f64)> {
        v.iter().enumerate().map(|(i, &y)| (i as f64, y)).collect()
    }

    #[test]
    fn accuracy_is_framed_after_its_first_rise() {
        let a = line(&[0.1, 0.5, 0.9, 0.955, 0.962, 0.9624]);
        let b = line(&[0.1, 0.7, 0.95, 0.965, 0.970, 0.9718]);
        let f = frame(&[&a, &b], Kind::Higher, &[false, false], false);
        // From about the 90%-of-rise point, not from the 10% start.
        assert!(f.y[0] > 0.85 && f.y[0] < 0.9, "{:?}", f.y);
        assert!(f.y[1] > 0.9718 && f.y[1] < 0.98, "{:?}", f.y);
        let full = frame(&[&a, &b], Kind::Higher, &[false, false], true);
        assert!(full.y[0] < 0.1, "{:?}", full.y);
    }

    #[test]
    fn an_exploded_loss_is_off_scale_and_does_not_stretch_the_axis() {
        let plain = line(&[2.3, 1.0, 1e10, 1.28e29]);
        let bn = line(&[2.3, 0.5, 0.2, 0.1]);
        let f = frame(&[&plain, &bn], Kind::Lower, &[false, false], false);
        assert_eq!(f.off, vec![true, false]);
        assert!(f.y[1] < 3.0, "{:?}", f.y);
        // A diverged trainer's loss is off scale whatever its values; its accuracy is not.
        let f = frame(&[&bn, &bn], Kind::Lower, &[true, false], false);
        assert_eq!(f.off, vec![true, false]);
        let f = frame(&[&bn, &bn], Kind::Higher, &[true, false], false);
        assert_eq!(f.off, vec![false, false]);
        // Alone, it is framed on what it has.
        let f = frame(&[&plain], Kind::Lower, &[true], false);
        assert_eq!(f.off, vec![false]);
    }

    #[test]
    fn zoom_and_pan_move_inside_the_data() {
        let mut s = ChartSettings::default();
        s.zoom_x(0.5);
        assert_eq!(s.x_view, (0.25, 0.75));
        s.pan_x(1.0);
        assert_eq!(s.x_view, (0.5, 1.0));
        assert_eq!(x_window([0.0, 100.0], &s), [50.0, 100.0]);
        s.y_zoom = 2.0;
        assert_eq!(zoomed([0.0, 1.0], &s), [0.25, 0.75]);
        s.reset_view();
        assert!(!s.zoomed());
    }
}
