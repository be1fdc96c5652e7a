use super::*;
use crate::train::JobSpec;

fn base(seeds: usize) -> RunConfig {
    RunConfig {
        seeds,
        ..Default::default()
    }
}

fn axes(list: &[&str]) -> Vec<Axis> {
    list.iter().map(|a| parse_axis(a).unwrap()).collect()
}

#[test]
fn every_slice_together_holds_each_trainer_exactly_once() {
    let grid = Grid::new(&base(3), axes(&["lr=0.1,0.5", "depth=2,3"])).unwrap();
    let mut whole: Vec<(Vec<(AxisParam, f64)>, JobSpec)> = Vec::new();
    for cell in &grid.cells {
        whole.extend(
            cell.config
                .jobs()
                .into_iter()
                .map(|j| (cell.values.clone(), j)),
        );
    }
    assert_eq!(whole.len(), 2 * 2 * 3 * 2);
    for tasks in 1..=grid.pairs().len() {
        let mut seen = Vec::new();
        let mut sizes = Vec::new();
        for k in 0..tasks {
            let mut n = 0;
            for c in grid.configs(Some((k, tasks))).unwrap() {
                let cell = grid
                    .cells
                    .iter()
                    .find(|x| x.config.depth == c.depth)
                    .unwrap();
                for j in c.jobs() {
                    seen.push((cell.values.clone(), j));
                    n += 1;
                }
            }
            sizes.push(n);
        }
        assert_eq!(seen.len(), whole.len(), "{tasks} tasks");
        for w in &whole {
            assert_eq!(
                seen.iter().filter(|s| *s == w).count(),
                1,
                "{tasks} tasks: {w:?}"
            );
        }
        // Balanced to within one pair (of two variants).
        let (lo, hi) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(hi - lo <= 2, "{tasks} tasks: {sizes:?}");
    }
}

#[test]
fn a_pair_keeps_its_variants_together() {
    let grid = Grid::new(&base(3), axes(&["lr=0.1,0.5"])).unwrap();
    for k in 0..6 {
        let cs = grid.configs(Some((k, 6))).unwrap();
        assert_eq!(cs.len(), 1);
        let jobs = cs[0].jobs();
        assert_eq!(jobs.len(), 2, "task {k}");
        assert_eq!(jobs[0].id.seed, jobs[1].id.seed);
        assert_eq!(jobs[0].id.point, jobs[1].id.point);
        assert_ne!(jobs[0].id.variant, jobs[1].id.variant);
        // Task k is point k / 3 and seed 1 + k % 3, as `--plan` lists it.
        assert_eq!(jobs[0].id.point, k / 3);
        assert_eq!(jobs[0].id.seed, 1 + (k % 3) as u64);
        assert_eq!(jobs[0].lr, [0.1, 0.5][k / 3]);
    }
    let plan = grid.plan(6).unwrap();
    assert_eq!(plan[4], "4/6  lr=0.5 seed=2");
    assert_eq!(
        grid.plan(2).unwrap()[1],
        "1/2  lr=0.5 seed=1, lr=0.5 seed=2, lr=0.5 seed=3"
    );
}

#[test]
fn one_cell_without_a_slice_is_the_plain_run() {
    let grid = Grid::new(&base(2), axes(&["lr=0.1,0.5"])).unwrap();
    let cs = grid.configs(None).unwrap();
    assert_eq!(cs.len(), 1);
    assert_eq!(cs[0].slice, None);
    assert_eq!(
        cs[0].sweep,
        Some(Sweep {
            param: SweepParam::LearningRate,
            values: vec![0.1, 0.5]
        })
    );
    // Several cells without a slice: one run per cell, marked as one grid.
    let grid = Grid::new(&base(2), axes(&["momentum=0,0.9"])).unwrap();
    let cs = grid.configs(None).unwrap();
    assert_eq!(cs.len(), 2);
    assert_eq!(cs[1].momentum, 0.9);
    assert_eq!(
        cs[1].slice.as_ref().unwrap().axes,
        vec![("momentum".to_string(), vec![0.0, 0.9])]
    );
}

#[test]
fn outer_axes_set_the_cells_settings() {
    let grid = Grid::new(&base(1), axes(&["depth=2,5", "batch-size=30,60", "lr=0.2"])).unwrap();
    // depth is not per trainer, batch size is: it becomes the run's sweep; lr is then outer.
    assert_eq!(grid.cells.len(), 2);
    let s = grid.cells[0].config.sweep.as_ref().unwrap();
    assert_eq!(s.param, SweepParam::BatchSize);
    assert_eq!(grid.cells[1].config.depth, 5);
    assert_eq!(grid.cells[1].config.lr, 0.2);
    assert_eq!(grid.cells[1].label(), "depth=5 lr=0.2");
    assert_eq!(
        grid.describe(grid.pairs()[3]),
        "depth=5 lr=0.2 batch-size=60 seed=1"
    );
}

#[test]
fn bad_axes_and_slices_are_usage_errors() {
    for (text, says) in [
        ("lr", "PARAM=V1"),
        ("speed=1", "unknown parameter"),
        ("lr=0.1,x", "`x` is not a number"),
        ("depth=2.5", "whole number"),
        ("lr=0,1", "positive"),
        ("lr=0.1,0.1", "twice"),
    ] {
        let e = parse_axis(text).unwrap_err().to_string();
        assert!(e.contains("--sweep") && e.contains(says), "{text}: {e}");
    }
    let e = Grid::new(&base(1), axes(&["lr=0.1", "lr=0.2"])).unwrap_err();
    assert!(e.to_string().contains("swept twice"), "{e}");
    let e = Grid::new(&base(1), axes(&["depth=100"])).unwrap_err();
    assert!(e.to_string().contains("depth=100"), "{e}");
    let high = crate::presets::find("high-lr")
        .unwrap()
        .config(crate::data::DatasetName::Mnist5k);
    let e = Grid::new(&high, axes(&["lr=0.1"])).unwrap_err();
    assert!(e.to_string().contains("high-lr preset sweeps"), "{e}");
    let g = Grid::new(&base(3), axes(&["lr=0.1,0.5"])).unwrap();
    assert!(g
        .slice_range(0, 7)
        .unwrap_err()
        .to_string()
        .contains("--tasks"));
    assert!(g
        .slice_range(6, 6)
        .unwrap_err()
        .to_string()
        .contains("--task"));
}

#[test]
fn a_damaged_slice_in_config_json_is_refused() {
    let mut c = base(2);
    c.slice = Some(Slice {
        task: 0,
        tasks: 1,
        first: 1,
        count: 2,
        axes: vec![],
    });
    assert!(c.validate().is_err());
    c.slice.as_mut().unwrap().count = 1;
    assert!(c.validate().is_ok());
    assert_eq!(c.jobs().len(), 2);
    assert_eq!(c.jobs()[0].id.seed, 2);
}
