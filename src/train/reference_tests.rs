//! `--reference-ops`: the same runs through dfdx's own ops and through the fused ones.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::{Event, RunConfig, Session, Status};
use crate::cli::RunArgs;
use crate::data::{self, DatasetName};
use crate::model::Variant;

/// The logged training losses of every trainer of a short paper run, by variant and step.
fn train_losses(reference_ops: bool) -> BTreeMap<(Variant, u64), f64> {
    let mut c = crate::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    c.steps = Some(40);
    c.log_every = 10;
    c.variants = vec![Variant::Plain, Variant::Bn, Variant::BnAfter];
    c.reference_ops = reference_ops;
    c.seeds = 1;
    let data = data::prepare(&data::load(c.dataset, None).unwrap(), &c.split);
    let session = Session::start(c, Arc::new(data));
    let mut losses = BTreeMap::new();
    for event in session.events.iter() {
        match event {
            Event::Metrics {
                id, step, values, ..
            } => {
                for (name, v) in values {
                    if name == crate::metric::Metric::TrainLoss {
                        losses.insert((id.variant, step), v);
                    }
                }
            }
            Event::Finished { status, .. } => assert_eq!(status, Status::Finished),
            _ => {}
        }
    }
    losses
}

#[test]
fn both_paths_train_to_the_same_losses() {
    let (fused, reference) = (train_losses(false), train_losses(true));
    assert_eq!(fused.len(), 3 * 4, "4 logs of each trainer");
    assert_eq!(
        fused.keys().collect::<Vec<_>>(),
        reference.keys().collect::<Vec<_>>()
    );
    let mut differ = std::collections::BTreeSet::new();
    for ((key, f), r) in fused.iter().zip(reference.values()) {
        assert!(
            (f - r).abs() <= 1e-5 * r.abs().max(1.0),
            "{key:?}: fused {f} vs dfdx {r}"
        );
        if f.to_bits() != r.to_bits() {
            differ.insert(key.0);
        }
    }
    // BN after the activation has its own fused op too, so the switch changes its path.
    assert!(
        differ.contains(&Variant::BnAfter),
        "the switch changes the path: some bits differ ({differ:?})"
    );
}

#[test]
fn the_switch_is_left_out_of_config_json_when_off() {
    let off = serde_json::to_string(&RunConfig::default()).unwrap();
    assert!(!off.contains("reference_ops"), "{off}");
    let old: RunConfig = serde_json::from_str(&off).unwrap();
    assert!(!old.reference_ops, "configs written before the switch load");
    let on = RunConfig {
        reference_ops: true,
        ..RunConfig::default()
    };
    let json = serde_json::to_string(&on).unwrap();
    assert!(json.contains("\"reference_ops\":true"));
    assert_eq!(serde_json::from_str::<RunConfig>(&json).unwrap(), on);
    let args = RunArgs {
        preset: "ioffe2015".into(),
        reference_ops: true,
        ..RunArgs::default()
    };
    assert!(args.to_config(DatasetName::Mnist5k).unwrap().reference_ops);
}
