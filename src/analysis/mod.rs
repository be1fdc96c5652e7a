//! The numbers a run is judged by, computed once for the report, the UI and `summary.csv`:
//! per-trainer metrics, statistics over seeds, paired comparisons and the summary rows.
//! It reads `runs` and sits below both `report` and the UI.

pub mod compare;
pub mod fmt;
pub mod glance;
pub mod metrics;
pub mod probes;
pub(crate) mod smoothing;
pub mod stats;
pub mod summary;
pub mod verdict;

pub use summary::{save, save_new};

/// A finished trainer with only its final accuracy set, for the tests of the comparisons.
#[cfg(test)]
pub(crate) fn test_job(variant: crate::model::Variant, seed: u64, acc: f64) -> metrics::JobMetrics {
    metrics::JobMetrics {
        variant,
        seed,
        point: 0,
        point_value: None,
        status: crate::train::Status::Finished,
        message: None,
        steps: 100,
        epochs: 1.0,
        reach: [None; 3],
        val_loss_area: None,
        final_val_acc: Some((100, acc)),
        best_val_acc: Some((100, acc)),
        final_val_loss: None,
        final_train_acc: None,
        final_train_loss: None,
        test_acc: None,
        test_loss: None,
        gap: None,
        loss_tail_std: None,
        loss_log_fluct: None,
        tail_steps: None,
        spike: None,
        blowups: 0,
        elapsed_s: 1.0,
        samples_per_sec: 1.0,
        grad_ratio: None,
        preact_drift: None,
        unit_bands: None,
        rel_grad_ratio: None,
        init_rel_grad: None,
        final_train_eval_acc: None,
        landscape: Default::default(),
        probes: Default::default(),
    }
}
