use super::*;

#[test]
fn validation_names_the_flag() {
    let c = RunConfig {
        batch_size: 0,
        ..Default::default()
    };
    assert_eq!(c.validate().unwrap_err().field, Field::BatchSize);
    let c = RunConfig {
        lr: -1.0,
        ..Default::default()
    };
    assert_eq!(c.validate().unwrap_err().field, Field::Lr);
    assert!(RunConfig::default().validate().is_ok());
}

#[test]
fn jobs_pair_variants_per_seed_and_point() {
    let c = RunConfig {
        seeds: 2,
        sweep: Some(Sweep {
            param: SweepParam::LearningRate,
            values: vec![0.1, 1.0],
        }),
        ..Default::default()
    };
    let jobs = c.jobs();
    assert_eq!(jobs.len(), 8);
    assert_eq!(jobs[0].id.variant, Variant::Plain);
    assert_eq!(jobs[1].id.variant, Variant::Bn);
    assert_eq!(jobs[0].id.seed, jobs[1].id.seed);
    assert_eq!(jobs[4].lr, 1.0);
    assert_eq!(jobs[4].id.point, 1);
}
