use super::*;
use crate::data::DatasetName;
use crate::metric::Metric;
use crate::model::Variant;
use crate::runs::{DataInfo, MetricRow, RunRecord};
use crate::train::{Status, Sweep, SweepParam};

/// A run folder `name` under `parent` whose every trainer reached `acc` (plus 1% for BN)
/// and ended with `status`.
fn saved(parent: &Path, name: &str, preset: &str, acc: f64, status: Status) -> PathBuf {
    let mut c = crate::presets::find(preset)
        .unwrap()
        .config(DatasetName::Mnist5k);
    c.seeds = 1;
    let mut rec = RunRecord::new(
        c,
        DataInfo {
            origin: "embedded".into(),
            train: 4000,
            val: 1000,
            test: 0,
        },
    );
    for j in &mut rec.jobs {
        let a = if j.id.variant == Variant::Plain {
            acc
        } else {
            acc + 0.01
        };
        j.rows = vec![MetricRow {
            step: 100,
            epoch: 1.0,
            metric: Metric::ValAcc,
            value: a,
        }];
        j.step = 100;
        j.status = status;
    }
    let dir = parent.join(name);
    std::fs::create_dir(&dir).unwrap();
    crate::analysis::save(&rec, &dir).unwrap();
    dir
}

fn names(b: &Browser) -> Vec<&str> {
    b.shown().map(|e| e.name.as_str()).collect()
}

#[test]
fn dates_come_from_the_folder_stamp_or_the_config() {
    assert_eq!(
        stamp_date("20261202-174455-ioffe2015").as_deref(),
        Some("2026-12-02 17:44")
    );
    assert_eq!(stamp_date("my-run"), None);
    assert_eq!(stamp_date("2026120-1744551"), None);
    assert_eq!(
        created_date("2026-12-02T17:44:55.123+01:00"),
        "2026-12-02 17:44"
    );
}

#[test]
fn a_sweep_is_named_by_its_parameter_and_the_value_it_overrides_is_left_out() {
    let mut c = crate::presets::find("ioffe2015")
        .unwrap()
        .config(DatasetName::Mnist5k);
    let plain = detail(&c);
    assert!(plain.contains(&format!("lr {}", c.lr)), "{plain}");
    c.sweep = Some(Sweep {
        param: SweepParam::LearningRate,
        values: vec![0.01, 0.5, 2.0],
    });
    let d = detail(&c);
    assert!(!d.contains("lr "), "{d}");
    assert!(d.contains("learning rate sweep 0.01, 0.5, 2"), "{d}");
    assert!(d.contains(&format!("batch {}", c.batch_size)), "{d}");
    c.sweep.as_mut().unwrap().param = SweepParam::BatchSize;
    let d = detail(&c);
    assert!(d.contains(&format!("lr {}", c.lr)), "{d}");
    assert!(!d.contains(&format!("batch {}", c.batch_size)), "{d}");
}

#[test]
fn sorting_filtering_and_marks_follow_the_folders() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    saved(
        p,
        "20260101-100000-ioffe2015",
        "ioffe2015",
        0.90,
        Status::Finished,
    );
    saved(
        p,
        "20260301-100000-ioffe2015",
        "ioffe2015",
        0.95,
        Status::Interrupted,
    );
    saved(
        p,
        "20260201-100000-high-lr",
        "high-lr",
        0.50,
        Status::Diverged,
    );
    let mut b = Browser::scan(p);
    assert_eq!(b.sort, Sort::Date);
    assert_eq!(
        names(&b),
        [
            "20260301-100000-ioffe2015",
            "20260201-100000-high-lr",
            "20260101-100000-ioffe2015"
        ]
    );
    let e = b.selected_entry().unwrap();
    assert_eq!(e.status(), "interrupted");
    assert_eq!(e.date, "2026-03-01 10:00");
    let g = e.glance.as_ref().unwrap();
    assert_eq!(g.best[0].cell, "95.00%");
    assert_eq!(g.best[1].cell, "96.00%");

    // A mark stays on its folder whatever the order.
    b.move_by(2);
    b.toggle_mark();
    let marked = b.selected_dir().unwrap().to_path_buf();
    b.next_sort(); // preset
    assert_eq!(b.sort, Sort::Preset);
    assert_eq!(names(&b)[0], "20260201-100000-high-lr");
    assert_eq!(b.selected_dir(), Some(marked.as_path()));
    assert_eq!(b.tag(&marked), Some('B'));
    b.next_sort(); // dataset
    b.next_sort(); // status: worst first
    assert_eq!(b.sort, Sort::Status);
    assert_eq!(names(&b)[0], "20260301-100000-ioffe2015");
    assert_eq!(names(&b)[2], "20260101-100000-ioffe2015");
    b.next_sort(); // accuracy: highest first
    assert_eq!(b.sort, Sort::Accuracy);
    assert_eq!(
        names(&b),
        [
            "20260301-100000-ioffe2015",
            "20260101-100000-ioffe2015",
            "20260201-100000-high-lr"
        ]
    );
    b.reverse();
    assert_eq!(names(&b)[0], "20260201-100000-high-lr");

    // Every word must match, in any case; the selection stays on its folder.
    b.set_filter("ioffe".into());
    assert_eq!(b.shown_len(), 2);
    assert_eq!(b.selected_dir(), Some(marked.as_path()));
    b.set_filter("IOFFE interrupted".into());
    assert_eq!(names(&b), ["20260301-100000-ioffe2015"]);
    let only = b.selected_dir().unwrap().to_path_buf();
    b.set_filter("ioffe".into());
    assert_eq!(b.selected_dir(), Some(only.as_path()));
    b.set_filter("nothing-like-this".into());
    assert_eq!(b.shown_len(), 0);
    assert_eq!(b.selected_dir(), None);
    b.set_filter(String::new());
    assert_eq!(b.shown_len(), 3);

    // A folder that is gone leaves the list and the marks.
    b.forget(&marked);
    assert!(b.marked.is_empty());
    assert_eq!(b.shown_len(), 2);
    assert!(b.shown().all(|e| e.dir != marked));
}

#[test]
fn a_rescan_keeps_the_order_the_filter_and_the_marks_of_folders_still_there() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path();
    let a = saved(
        p,
        "20260101-100000-ioffe2015",
        "ioffe2015",
        0.90,
        Status::Finished,
    );
    let c = saved(
        p,
        "20260301-100000-ioffe2015",
        "ioffe2015",
        0.95,
        Status::Failed,
    );
    let mut b = Browser::scan(p);
    b.toggle_mark();
    b.move_by(1);
    b.toggle_mark();
    b.reverse();
    std::fs::remove_dir_all(&c).unwrap();
    std::fs::write(p.join("not-a-run.txt"), "x").unwrap();
    b.rescan(p);
    assert_eq!(b.marked, std::slice::from_ref(&a));
    assert!(b.reversed);
    assert_eq!(b.selected_dir(), Some(a.as_path()));
    assert_eq!(b.entries.len(), 1);
}

#[test]
fn a_folder_without_a_summary_is_listed_with_the_reason() {
    let tmp = tempfile::tempdir().unwrap();
    let d = saved(
        tmp.path(),
        "20260101-100000-x",
        "ioffe2015",
        0.9,
        Status::Finished,
    );
    std::fs::remove_file(d.join(runs::folder::SUMMARY)).unwrap();
    let b = Browser::scan(tmp.path());
    let e = b.selected_entry().unwrap();
    assert_eq!(e.status(), "unreadable");
    assert!(
        e.glance.as_ref().unwrap_err().contains("summary.csv"),
        "{e:?}"
    );
    assert_eq!(e.preset, "ioffe2015");
}

#[test]
fn the_columns_never_overlap_nor_leave_the_list_from_80_to_200_columns() {
    use crate::app::layout::browser_cols;
    for w in 78..=198u16 {
        let c = browser_cols(w);
        let cols = [
            c.tag, c.preset, c.dataset, c.status, c.best, c.seeds, c.date,
        ];
        for pair in cols.windows(2) {
            assert!(pair[0].0 + pair[0].1 <= pair[1].0, "{w}: {c:?}");
        }
        // Separated: one space between columns after the mark (which ends in one).
        for pair in cols[1..].windows(2) {
            assert!(pair[0].0 + pair[0].1 < pair[1].0, "{w}: {c:?}");
        }
        assert!(c.date.0 + c.date.1 <= w, "{w}: {c:?}");
        assert!(c.best.1 >= 24, "{w}: {c:?}");
    }
}
