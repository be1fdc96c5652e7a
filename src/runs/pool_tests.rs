use super::*;
use crate::metric::Metric;
use crate::runs::grid::{parse_axis, Grid};
use crate::runs::{DataInfo, MetricRow};
use crate::train::{RunConfig, Status};

fn grid(sweeps: &[&str]) -> Grid {
    let base = RunConfig {
        seeds: 3,
        ..Default::default()
    };
    Grid::new(
        &base,
        sweeps.iter().map(|s| parse_axis(s).unwrap()).collect(),
    )
    .unwrap()
}

/// A record as the trainers would have filled it: values that depend on the job only.
fn trained(config: RunConfig) -> RunRecord {
    let mut r = RunRecord::new(config, DataInfo::default());
    for j in &mut r.jobs {
        j.status = Status::Finished;
        let v = j.id.seed as f64 * 0.01
            + j.point_value.unwrap_or(0.0)
            + f64::from(u8::from(j.id.variant.has_bn()));
        j.rows.push(MetricRow {
            step: 10,
            epoch: 0.1,
            metric: Metric::ValAcc,
            value: v,
        });
    }
    r
}

fn slices(g: &Grid, tasks: usize) -> Vec<(PathBuf, RunRecord)> {
    (0..tasks)
        .flat_map(|k| g.configs(Some((k, tasks))).unwrap())
        .enumerate()
        .map(|(i, c)| (PathBuf::from(format!("task{i}")), trained(c)))
        .collect()
}

fn merged(p: Result<Pooled, PoolError>) -> Vec<(String, RunRecord, Vec<PathBuf>)> {
    match p {
        Ok(Pooled::Merged(m)) => m,
        Ok(Pooled::Separate(_)) => panic!("not pooled"),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn slices_pool_into_the_run_trained_in_one_process() {
    let g = grid(&["lr=0.1,0.5"]);
    let whole = trained(g.configs(None).unwrap().remove(0));
    for tasks in [2, 3, 4, 6] {
        let mut parts = slices(&g, tasks);
        // Folders come in any order (a shell glob, a scheduler's log).
        parts.reverse();
        let m = merged(pool(parts));
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].0, "");
        assert_eq!(m[0].1, whole, "{tasks} tasks");
        assert_eq!(m[0].2.len(), tasks);
    }
}

#[test]
fn a_grid_of_cells_pools_cell_by_cell() {
    let g = grid(&["lr=0.1,0.5", "depth=2,4"]);
    let m = merged(pool(slices(&g, 5)));
    assert_eq!(m.len(), 2);
    assert_eq!(m[0].0, "depth=2");
    assert_eq!(m[1].0, "depth=4");
    assert_eq!(m[1].1, trained(g.cells[1].config.clone()));
}

#[test]
fn runs_without_slices_stay_separate() {
    let g = grid(&["lr=0.1,0.5"]);
    let whole = trained(g.configs(None).unwrap().remove(0));
    let p = pool(vec![
        ("a".into(), whole.clone()),
        ("b".into(), whole.clone()),
    ])
    .unwrap();
    assert!(matches!(p, Pooled::Separate(v) if v.len() == 2));
    // One task's folder alone is reported as it is.
    let one = slices(&g, 2).remove(1);
    assert!(matches!(pool(vec![one]).unwrap(), Pooled::Separate(v) if v.len() == 1));
    let mut mixed = slices(&g, 2);
    mixed.push(("whole".into(), whole));
    let e = pool(mixed).err().unwrap().to_string();
    assert!(e.contains("whole is a whole run"), "{e}");
}

#[test]
fn differing_settings_are_named() {
    let g = grid(&["lr=0.1,0.5"]);
    let mut parts = slices(&g, 3);
    parts[2].1.config.momentum = 0.9;
    parts[2].1.config.batch_size = 30;
    let e = pool(parts).err().unwrap().to_string();
    assert!(e.contains("task0 and task2"), "{e}");
    assert!(
        e.contains("momentum: 0.0 vs 0.9") && e.contains("batch_size: 60 vs 30"),
        "{e}"
    );
    assert!(!e.contains("slice:") && !e.contains("parallel"), "{e}");
    // How many threads a task used is scheduling, not a setting.
    let mut parts = slices(&g, 3);
    parts[1].1.config.parallel = 1;
    assert_eq!(merged(pool(parts)).len(), 1);
}

#[test]
fn missing_and_repeated_tasks_are_refused() {
    let g = grid(&["lr=0.1,0.5"]);
    let mut parts = slices(&g, 6);
    parts.remove(4);
    let e = pool(parts).err().unwrap().to_string();
    assert!(e.contains("seed 2 at 0.5") && e.contains("missing"), "{e}");
    let mut parts = slices(&g, 6);
    let again = (PathBuf::from("again"), parts[1].1.clone());
    parts.push(again);
    let e = pool(parts).err().unwrap().to_string();
    assert!(e.contains("task1 and again both hold"), "{e}");
}
