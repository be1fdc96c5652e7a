//! Headline numbers of each trainer, as written to `summary.csv`.

use serde::{Deserialize, Serialize};

use super::record::JobRecord;

pub const THRESHOLDS: [f64; 3] = [0.90, 0.95, 0.97];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SummaryRow {
    pub variant: String,
    pub seed: u64,
    pub point: usize,
    pub point_value: Option<f64>,
    pub status: String,
    pub steps: u64,
    pub final_train_loss: Option<f64>,
    pub final_val_loss: Option<f64>,
    pub final_val_acc: Option<f64>,
    pub best_val_acc: Option<f64>,
    pub test_loss: Option<f64>,
    pub test_acc: Option<f64>,
    pub step_val90: Option<u64>,
    pub step_val95: Option<u64>,
    pub step_val97: Option<u64>,
    pub message: String,
}

/// First step at which `series` reached `threshold`.
pub fn steps_to(series: &[(u64, f64, f64)], threshold: f64) -> Option<u64> {
    series.iter().find(|p| p.2 >= threshold).map(|p| p.0)
}

pub fn best(series: &[(u64, f64, f64)]) -> Option<f64> {
    series
        .iter()
        .map(|p| p.2)
        .filter(|v| v.is_finite())
        .reduce(f64::max)
}

pub fn summarize(job: &JobRecord) -> SummaryRow {
    let val = job.series("val_acc");
    SummaryRow {
        variant: job.id.variant.as_str().to_string(),
        seed: job.id.seed,
        point: job.id.point,
        point_value: job.point_value,
        status: job.status.as_str().to_string(),
        steps: job.step,
        final_train_loss: job.last("train_loss"),
        final_val_loss: job.last("val_loss"),
        final_val_acc: job.last("val_acc"),
        best_val_acc: best(&val),
        test_loss: job.last("test_loss"),
        test_acc: job.last("test_acc"),
        step_val90: steps_to(&val, THRESHOLDS[0]),
        step_val95: steps_to(&val, THRESHOLDS[1]),
        step_val97: steps_to(&val, THRESHOLDS[2]),
        message: job.message.clone().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_to_threshold_and_never() {
        let s = vec![(0, 0.0, 0.1), (10, 0.1, 0.91), (20, 0.2, 0.96)];
        assert_eq!(steps_to(&s, 0.9), Some(10));
        assert_eq!(steps_to(&s, 0.95), Some(20));
        assert_eq!(steps_to(&s, 0.97), None);
        assert_eq!(best(&s), Some(0.96));
    }
}
