//! Run folders written and read back inside the unit tests: every file's values, the checks
//! on damaged files, and the limits, each on both sides of its boundary.

use super::*;
use crate::runs::save::{save, save_new};
use crate::train::{Event, RunConfig};
use std::fs;

fn id(variant: Variant, seed: u64) -> JobId {
    JobId {
        variant,
        seed,
        point: 0,
    }
}

/// Two seeds of plain and BN, with rows, timings and one diverged trainer with a message.
fn crafted() -> RunRecord {
    let config = RunConfig {
        seeds: 2,
        ..RunConfig::default()
    };
    let mut r = RunRecord::new(config, DataInfo::default());
    for (k, j) in r.config.jobs().iter().enumerate() {
        let k = k as f64;
        for step in [10, 20] {
            r.apply(&Event::Metrics {
                id: j.id,
                step,
                epoch: step as f64 / 40.0,
                values: vec![(Metric::TrainLoss, 2.0 - k / 10.0 - step as f64 / 100.0)],
            });
        }
        let diverged = j.id.variant == Variant::Plain && j.id.seed == r.config.seed + 1;
        r.apply(&Event::Finished {
            id: j.id,
            status: if diverged {
                Status::Diverged
            } else {
                Status::Finished
            },
            step: 20,
            message: diverged.then(|| "loss is NaN".to_string()),
            elapsed_s: 1.25 + k,
            samples_per_sec: 1000.0 / (k + 1.0),
        });
    }
    r
}

/// `summary.csv` rows as analysis writes them, with an aggregate row and empty cells.
fn summary(r: &RunRecord) -> Vec<Vec<String>> {
    let mut rows = vec![[
        "variant",
        "seed",
        "point",
        "point_value",
        "status",
        "message",
        "final_val_acc",
    ]
    .map(String::from)
    .to_vec()];
    for j in &r.jobs {
        rows.push(vec![
            j.id.variant.to_string(),
            j.id.seed.to_string(),
            j.id.point.to_string(),
            String::new(),
            j.status.to_string(),
            j.message.clone().unwrap_or_default(),
            "0.9".into(),
        ]);
    }
    rows.push(
        ["bn", "mean", "", "", "", "", "0.9"]
            .map(String::from)
            .to_vec(),
    );
    rows
}

fn saved(r: &RunRecord) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    save(r, dir.path(), &summary(r)).unwrap();
    dir
}

#[test]
fn a_saved_run_loads_back_value_for_value() {
    let r = crafted();
    let dir = saved(&r);
    let back = load(dir.path()).unwrap();
    assert_eq!(back.config, r.config);
    assert_eq!(back.jobs.len(), 4);
    for (a, b) in r.jobs.iter().zip(&back.jobs) {
        assert_eq!(a.id, b.id);
        assert_eq!(a.rows, b.rows);
        assert_eq!(
            (a.status, &a.message, a.step),
            (b.status, &b.message, b.step)
        );
        assert_eq!(a.elapsed_s.to_bits(), b.elapsed_s.to_bits());
        assert_eq!(a.samples_per_sec.to_bits(), b.samples_per_sec.to_bits());
    }
    assert_eq!(back.jobs[2].status, Status::Diverged);
    assert_eq!(back.jobs[2].message.as_deref(), Some("loss is NaN"));
    assert_eq!(back.jobs[0].message, None);
    let again = save_new(&back, dir.path(), &summary(&back)).unwrap();
    assert_eq!(load(&again).unwrap().jobs, back.jobs);
    assert_eq!(list(dir.path()), [again]);
}

#[test]
fn without_summary_or_timing_a_run_still_loads() {
    let r = crafted();
    let dir = saved(&r);
    fs::remove_file(dir.path().join(SUMMARY)).unwrap();
    fs::remove_file(dir.path().join(TIMING)).unwrap();
    let back = load(dir.path()).unwrap();
    // Every trainer with rows counts as finished; timings stay at zero.
    assert!(back.jobs.iter().all(|j| j.status == Status::Finished));
    assert!(back
        .jobs
        .iter()
        .all(|j| j.elapsed_s == 0.0 && j.samples_per_sec == 0.0));
    assert_eq!(back.jobs[1].rows, r.jobs[1].rows);
}

#[test]
fn a_damaged_timing_row_is_skipped_and_rows_go_to_their_own_trainer() {
    let r = crafted();
    let dir = saved(&r);
    let timing = "variant,seed,point,status,steps,elapsed_s,samples_per_sec\n\
                  bn,1,0,finished,20,lots,3.0\n\
                  nope,1,0,finished,20,9.0,9.0\n\
                  bn,1,0,finished,20,7.5,30.0\n\
                  plain,2,0,finished,20,2.5,20.0\n";
    fs::write(dir.path().join(TIMING), timing).unwrap();
    let back = load(dir.path()).unwrap();
    let t = |v, s| {
        let j = back.job(id(v, s)).unwrap();
        (j.elapsed_s, j.samples_per_sec)
    };
    assert_eq!(t(Variant::Bn, 1), (7.5, 30.0));
    assert_eq!(t(Variant::Plain, 2), (2.5, 20.0));
    assert_eq!(t(Variant::Plain, 1), (0.0, 0.0));
}

#[test]
fn metrics_header_rules() {
    let r = crafted();
    let dir = saved(&r);
    let p = dir.path().join(METRICS);
    let body = "bn,1,10,0.25,train_loss,1.5\nplain,1,10,0.25,train_loss,2.5\nbn,1,20,0.5,train_loss,1.25\n";
    // The six columns without `point` are enough.
    fs::write(&p, format!("variant,seed,step,epoch,metric,value\n{body}")).unwrap();
    let back = load(dir.path()).unwrap();
    // Rows of one trainer split by another's stay together, in order.
    let bn = back.job(id(Variant::Bn, 1)).unwrap();
    assert_eq!(
        bn.series(Metric::TrainLoss),
        [(10, 0.25, 1.5), (20, 0.5, 1.25)]
    );
    assert_eq!(bn.step, 20);
    assert_eq!(back.job(id(Variant::Plain, 1)).unwrap().rows.len(), 1);
    for (header, want) in [
        ("variant,seed,step,epoch,metric\n", "header must start with"),
        (
            "variant,seed,step,epoch,value,metric,point\n",
            "header must start with",
        ),
        (
            "variant,seed,step,epoch,metric,value,point,extra\n",
            "unknown column `extra`",
        ),
    ] {
        fs::write(&p, format!("{header}{body}")).unwrap();
        let e = load(dir.path()).unwrap_err().to_string();
        assert!(e.contains(want) && e.contains(":1:"), "{header}: {e}");
    }
}

#[test]
fn trainers_not_in_the_config_are_added() {
    let r = crafted();
    let dir = saved(&r);
    let rows = "variant,seed,step,epoch,metric,value,point\n\
                bn,7,10,0.25,train_loss,1.5,0\n\
                plain,9,10,0.25,train_loss,2.5,0\n\
                bn,7,20,0.5,train_loss,1.0,0\n";
    fs::write(dir.path().join(METRICS), rows).unwrap();
    let back = load(dir.path()).unwrap();
    assert_eq!(back.jobs.len(), 6);
    let seven = back.job(id(Variant::Bn, 7)).unwrap();
    assert_eq!(
        seven.series(Metric::TrainLoss),
        [(10, 0.25, 1.5), (20, 0.5, 1.0)]
    );
    assert_eq!(seven.status, Status::Finished);
    assert_eq!(back.jobs[5].id, id(Variant::Plain, 9));
    assert_eq!(back.jobs[5].rows.len(), 1);
    // The config's trainers without rows keep the summary's status, nothing else.
    assert!(back.jobs[..4].iter().all(|j| j.rows.is_empty()));
}

#[test]
fn summary_numbers_are_checked_and_words_are_not() {
    let r = crafted();
    let dir = saved(&r);
    let mut rows = summary(&r);
    rows[1][6] = "high".into();
    let p = dir.path().join(SUMMARY);
    let text: String = rows.iter().map(|r| r.join(",") + "\n").collect();
    fs::write(&p, text).unwrap();
    let e = load(dir.path()).unwrap_err().to_string();
    assert!(e.contains("`final_val_acc` is not a number: `high`"), "{e}");
    assert!(e.contains("summary.csv:2:"), "{e}");
}

#[test]
fn job_rows_are_the_ones_with_a_numeric_seed() {
    let h = csv::StringRecord::from(vec!["variant", "seed", "x"]);
    assert!(is_job_row(
        &h,
        &csv::StringRecord::from(vec!["bn", "3", "1"])
    ));
    assert!(!is_job_row(
        &h,
        &csv::StringRecord::from(vec!["bn", "mean", "1"])
    ));
    // The seed column is found by name.
    let moved = csv::StringRecord::from(vec!["x", "variant", "seed"]);
    assert!(is_job_row(
        &moved,
        &csv::StringRecord::from(vec!["bn", "plain", "4"])
    ));
    assert!(!is_job_row(
        &moved,
        &csv::StringRecord::from(vec!["5", "plain", "x"])
    ));
}

#[test]
fn a_folder_without_config_is_not_a_run() {
    let dir = tempfile::tempdir().unwrap();
    assert!(matches!(load(dir.path()), Err(RunError::NotARun(_))));
}

#[test]
fn the_config_may_describe_at_most_max_jobs_trainers() {
    let dir = saved(&crafted());
    let with_points = |n: usize| {
        let config = RunConfig {
            seeds: 100,
            sweep: Some(crate::train::Sweep {
                param: crate::train::SweepParam::LearningRate,
                values: (1..=n).map(|i| i as f64 / 100.0).collect(),
            }),
            ..RunConfig::default()
        };
        let file = ConfigFile {
            bnlab_version: "t".into(),
            created: "t".into(),
            data: DataInfo::default(),
            config,
        };
        fs::write(dir.path().join(CONFIG), serde_json::to_vec(&file).unwrap()).unwrap();
        load_config(dir.path())
    };
    // 50 points × 100 seeds × 2 variants is exactly the limit.
    assert!(with_points(50).is_ok());
    let e = with_points(51).unwrap_err().to_string();
    assert!(e.contains("10200 trainers"), "{e}");
}

#[test]
fn metrics_may_name_at_most_max_jobs_trainers() {
    let dir = saved(&crafted());
    let rows = |n: usize| {
        let mut s = String::from("variant,seed,step,epoch,metric,value,point\n");
        // The config's four trainers plus these.
        for seed in 100..100 + n {
            s.push_str(&format!("bn,{seed},1,0,train_loss,1,0\n"));
        }
        fs::write(dir.path().join(METRICS), s).unwrap();
        load(dir.path())
    };
    assert_eq!(rows(MAX_JOBS - 4).unwrap().jobs.len(), MAX_JOBS);
    let e = rows(MAX_JOBS - 3).unwrap_err().to_string();
    assert!(e.contains("more than 10000 trainers"), "{e}");
}

#[test]
fn list_finds_run_folders_newest_first() {
    let parent = tempfile::tempdir().unwrap();
    for name in [
        "20250101-000000-a",
        "20250102-000000-b",
        ".bnlab-saving-x",
        "not-a-run",
    ] {
        let d = parent.path().join(name);
        fs::create_dir(&d).unwrap();
        if name != "not-a-run" {
            fs::write(d.join(CONFIG), "{}").unwrap();
        }
    }
    let names: Vec<String> = list(parent.path())
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, ["20250102-000000-b", "20250101-000000-a"]);
}
