//! How numbers are written in the report: one place, so the table and the prose agree.

use crate::analysis::compare::{Measure, Paired, Pairing, Unit};
use crate::analysis::metrics::JobMetrics;
use crate::analysis::stats::Estimate;

pub fn pct(x: f64) -> String {
    format!("{:.2}%", x * 100.0)
}

pub fn pp(d: f64) -> String {
    format!("{:+.2} pp", d * 100.0)
}

/// Whole numbers with thousands separators.
pub fn int(x: f64) -> String {
    let s = format!("{:.0}", x.abs());
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if x < 0.0 && s != "0" {
        format!("-{out}")
    } else {
        out
    }
}

pub fn ratio(r: f64) -> String {
    // Landscape ratios and their intervals go far below 1; "0.00×" would hide them.
    if r >= 1000.0 || (r > 0.0 && r < 0.01) {
        format!("{r:.1e}×")
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else {
        format!("{r:.2}×")
    }
}

pub fn value(m: &Measure, x: f64) -> String {
    match m.unit {
        Unit::Accuracy => pct(x),
        Unit::Points => pp(x),
        Unit::Steps => int(x),
        Unit::Loss => format!("{x:.3}"),
        Unit::Seconds => format!("{x:.2} s"),
        Unit::Rate => int(x),
        Unit::Count => int(x),
        Unit::Magnitude => sig3(x),
        Unit::Factor => format!("×{x:.2}"),
    }
}

/// Three significant digits, switching to exponent notation outside [0.01, 10,000).
pub fn sig3(x: f64) -> String {
    let a = x.abs();
    if a == 0.0 || !x.is_finite() {
        return format!("{x}");
    }
    if !(0.01..10_000.0).contains(&a) {
        return format!("{x:.2e}");
    }
    let mag = a.log10().floor() as i32;
    let decimals = (2 - mag).max(0) as usize;
    let s = format!("{x:.decimals$}");
    // 9.996 rounds up to 10.00: one digit too many for the new magnitude
    let rounded_up = s.trim_start_matches('-').parse::<f64>().unwrap_or(0.0) >= 10f64.powi(mag + 1);
    if rounded_up && decimals > 0 {
        let d = decimals - 1;
        return format!("{x:.d$}");
    }
    s
}

fn diff(m: &Measure, d: f64) -> String {
    match m.unit {
        Unit::Accuracy | Unit::Points => pp(d),
        Unit::Steps | Unit::Rate | Unit::Count => {
            let s = int(d);
            if d >= 0.0 {
                format!("+{s}")
            } else {
                s
            }
        }
        Unit::Seconds => format!("{d:+.2} s"),
        Unit::Loss | Unit::Factor => format!("{d:+.3}"),
        Unit::Magnitude => {
            let s = sig3(d);
            if d >= 0.0 {
                format!("+{s}")
            } else {
                s
            }
        }
    }
}

/// The effect of a paired comparison, with its CI or a note that there is none.
pub fn effect(m: &Measure, p: &Paired) -> String {
    let e = p.effect(m);
    let main = match m.pairing {
        Pairing::Diff => diff(m, e),
        Pairing::Ratio => ratio(e),
    };
    let ci = match (p.ci(m), m.pairing) {
        (Some((lo, hi)), Pairing::Diff) => {
            format!(", 95% CI [{}, {}]", diff(m, lo), diff(m, hi))
        }
        (Some((lo, hi)), Pairing::Ratio) => format!(", 95% CI [{}, {}]", ratio(lo), ratio(hi)),
        (None, _) => ", 1 seed".into(),
    };
    let n = if p.est.n > 1 {
        format!(" (n={}{ci})", p.est.n)
    } else {
        format!(" ({})", &ci[2..])
    };
    format!("{main}{n}")
}

/// A group's value of a metric: the value for one seed, mean ± std for several.
pub fn cell(m: &Measure, jobs: &[&JobMetrics]) -> String {
    let xs: Vec<f64> = jobs.iter().filter_map(|j| (m.get)(j)).collect();
    if m.unit == Unit::Steps && xs.len() < jobs.len() {
        return if xs.is_empty() {
            let most = jobs.iter().map(|j| j.steps).max().unwrap_or(0);
            format!("never (in {} steps)", int(most as f64))
        } else {
            format!("{}/{} seeds reached", xs.len(), jobs.len())
        };
    }
    values_cell(m, &xs, jobs.len())
}

/// [`cell`] for values already taken from `jobs` trainers (a metric other than a step
/// count): what the browser shows from `summary.csv`, written exactly as the report does.
pub fn values_cell(m: &Measure, xs: &[f64], jobs: usize) -> String {
    match Estimate::of(xs) {
        None => "–".into(),
        Some(e) => match e.std {
            Some(s) if jobs > 1 => format!("{} ± {}", value(m, e.mean), spread(m, s)),
            _ => value(m, e.mean),
        },
    }
}

fn spread(m: &Measure, s: f64) -> String {
    match m.unit {
        Unit::Accuracy | Unit::Points => format!("{:.2} pp", s * 100.0),
        _ => value(m, s),
    }
}

/// "step 240 (epoch 0.80)".
pub fn at(step: u64, epoch: f64) -> String {
    format!("step {} (epoch {epoch:.2})", int(step as f64))
}

pub fn value_str(v: Option<f64>) -> String {
    v.map_or("–".into(), |x| format!("{x}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands() {
        assert_eq!(int(1234567.0), "1,234,567");
        assert_eq!(int(999.0), "999");
        assert_eq!(int(-1200.0), "-1,200");
        assert_eq!(int(0.0), "0");
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(0.012345), "0.0123");
        assert_eq!(sig3(1.2345), "1.23");
        assert_eq!(sig3(123.45), "123");
        assert_eq!(sig3(9.996), "10.0");
        assert_eq!(sig3(0.00123), "1.23e-3");
        assert_eq!(sig3(0.0), "0");
    }
}
