//! Issue 15: the comparison on screen. Each test shows one of the problems gone: charts framed
//! on the informative part, a clipped diverged loss, zoom, cursor and hiding, the comparison
//! at the common step, seeds as groups, the metric picker, confirmations, overlays, and a
//! layout that fits from 80×24 to 200×60.

use crate::ui_common;

use bnlab::app::{Effect, Pick, Screen, View};
use bnlab::metric::Metric;
use bnlab::model::Variant;
use bnlab::train::{Event, Status};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ui_common::*;

fn key(c: char) -> KeyEvent {
    KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
}

fn snap(app: &bnlab::app::App, name: &str) {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app.clone();
        app.on_resize(w, h);
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), text(&render(&app, w, h)));
    }
}

/// Placement's situation: three nets that all end between 96 and 97.2%.
fn placement_app() -> bnlab::app::App {
    let mut app = app();
    app.run_started(record("placement"));
    for (v, end) in [
        (Variant::Plain, 0.9624),
        (Variant::Bn, 0.9718),
        (Variant::BnAfter, 0.9670),
    ] {
        feed(
            &mut app,
            id(v, 0),
            1000,
            1000,
            |s| 2.3 * (-(s as f64) / 150.0).exp() + 0.05,
            |s| 0.1 + (end - 0.1) * (1.0 - (-(s as f64) / 120.0).exp()),
        );
    }
    app
}

#[test]
fn accuracy_is_framed_on_the_part_after_its_rise() {
    let app = placement_app();
    let t = text(&render(&app, 120, 40));
    // The accuracy chart is the right half: its y labels start at column 61.
    let ys = y_labels(&t, 60, 71);
    let lo = ys.iter().copied().fold(f64::INFINITY, f64::min);
    assert!(
        lo > 80.0,
        "accuracy axis starts at {lo}%, not near the curves\n{t}"
    );
    // Every variant's final value is inside the frame, so they are told apart.
    assert!(
        ys.iter().copied().fold(0.0, f64::max) >= 97.18,
        "{ys:?}\n{t}"
    );
    snap(&app, "placement_framed");
    // f shows every value again.
    let mut app = app;
    app.on_key(key('f'));
    let ys = y_labels(&text(&render(&app, 120, 40)), 60, 71);
    assert!(
        ys.iter().copied().fold(f64::INFINITY, f64::min) < 15.0,
        "{ys:?}"
    );
}

#[test]
fn a_diverged_loss_is_clipped_and_marked_instead_of_flattening_the_other() {
    let mut app = app();
    app.run_started(record("ioffe2015"));
    feed(
        &mut app,
        id(Variant::Plain, 0),
        400,
        1000,
        |s| if s > 200 { 1.28e29 } else { 2.0 },
        |_| 0.1,
    );
    feed(
        &mut app,
        id(Variant::Bn, 0),
        400,
        1000,
        |s| 2.3 * (-(s as f64) / 100.0).exp() + 0.05,
        |_| 0.9,
    );
    app.on_event(&Event::Finished {
        id: id(Variant::Plain, 0),
        status: Status::Diverged,
        step: 400,
        message: Some("loss is 1.28e29".into()),
        elapsed_s: 4.0,
        samples_per_sec: 6000.0,
    });
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("↑● plain off scale"), "{t}");
    let ys = y_labels(&t, 0, 9);
    let hi = ys.iter().copied().fold(0.0, f64::max);
    assert!(hi < 10.0, "loss axis reaches {hi}\n{t}");
    snap(&app, "diverged_clipped");
}

#[test]
fn zoom_pan_cursor_and_hiding_act_on_the_charts() {
    let mut app = app_with_run();
    app.on_resize(120, 40);
    // The cursor reads every series' value at its step.
    app.on_key(KeyCode::Right.into());
    let t = text(&render(&app, 120, 40));
    let line = t
        .lines()
        .find(|l| l.starts_with("steps 400:"))
        .unwrap_or_else(|| panic!("{t}"));
    assert!(
        line.contains("loss ●") && line.contains("■") && line.contains("val acc ●"),
        "{line}"
    );
    for _ in 0..20 {
        app.on_key(KeyCode::Left.into());
    }
    let t = text(&render(&app, 120, 40));
    assert!(t.lines().any(|l| l.starts_with("steps 205:")), "{t}");
    snap(&app, "cursor_readout");
    // z halves the x range around the cursor; < and > pan; 0 resets.
    let near = |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 1e-9 && (a.1 - b.1).abs() < 1e-9;
    app.on_key(key('z'));
    assert!(
        near(app.chart.x_view, (0.25, 0.75)),
        "{:?}",
        app.chart.x_view
    );
    app.on_key(key('>'));
    assert!(
        near(app.chart.x_view, (0.375, 0.875)),
        "{:?}",
        app.chart.x_view
    );
    let t = text(&render(&app, 120, 40));
    assert!(
        t.contains("zoomed (0 resets)") && !t.contains("    10 "),
        "{t}"
    );
    app.on_key(key('0'));
    assert!(!app.chart.zoomed() && app.chart.cursor.is_none());
    // t picks plain, H hides it, O shows only it.
    app.on_key(key('t'));
    app.on_key(key('H'));
    let b = render(&app, 120, 40);
    assert!(text(&b).contains("● plain (hidden)"), "{}", text(&b));
    let plain = bnlab::ui::theme::variant(Variant::Plain);
    let bn = bnlab::ui::theme::variant(Variant::Bn);
    let braille = |b: &ratatui::buffer::Buffer, c| {
        b.content
            .iter()
            .filter(|x| {
                x.fg == c
                    && x.symbol()
                        .chars()
                        .all(|ch| ('\u{2801}'..='\u{28FF}').contains(&ch))
            })
            .count()
    };
    assert_eq!(braille(&b, plain), 0);
    app.on_key(key('O'));
    let b = render(&app, 120, 40);
    assert!(braille(&b, plain) > 20 && braille(&b, bn) == 0);
}

#[test]
fn variants_are_compared_at_the_latest_step_all_reached() {
    let mut app = app();
    app.run_started(record("placement"));
    // plain is fast, bn slow, bn-after still waits for a core.
    feed(
        &mut app,
        id(Variant::Plain, 0),
        1000,
        1000,
        |_| 1.0,
        |s| s as f64 / 1000.0 * 0.9,
    );
    feed(
        &mut app,
        id(Variant::Bn, 0),
        300,
        1000,
        |_| 1.0,
        |s| s as f64 / 1000.0 * 0.95,
    );
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("Waiting for bn-after's first evaluation"), "{t}");
    assert!(t.contains("waiting     for a free core"), "{t}");
    // Once it has an evaluation, the table compares at the common step, 50.
    feed(
        &mut app,
        id(Variant::BnAfter, 0),
        50,
        1000,
        |_| 1.0,
        |_| 0.5,
    );
    let t = text(&render(&app, 120, 40));
    assert!(
        t.contains("Compared at step 50, the latest all variants reached"),
        "{t}"
    );
    assert!(
        t.contains("4.50%") && !t.contains("90.00%"),
        "plain's later accuracy shown\n{t}"
    );
    snap(&app, "common_step");
    // The numbers are the shared analysis' on the cut series.
    let run = app.run.as_ref().unwrap();
    let jobs = run.group(Variant::Plain);
    assert_eq!(run.stats_upto(&jobs, Some(300)).current, Some(0.27));
}

#[test]
fn seeds_are_drawn_as_a_mean_with_a_band_and_faint_seeds() {
    let mut app = app();
    let mut rec = record("ioffe2015");
    rec.config.seeds = 3;
    app.run_started(rec);
    for v in [Variant::Plain, Variant::Bn] {
        for seed in 1..=3u64 {
            let q = seed as f64 * 0.1 + if v == Variant::Bn { 0.5 } else { 0.0 };
            feed(
                &mut app,
                seed_id(v, seed),
                400,
                1000,
                |s| 2.0 * (-(s as f64) * q / 100.0).exp(),
                |s| 1.0 - (-(s as f64) * q / 100.0).exp(),
            );
        }
    }
    let b = render(&app, 120, 40);
    let t = text(&b);
    assert!(t.contains("● plain N=3") && t.contains("■ bn N=3"), "{t}");
    assert!(t.contains("mean, min-max band, faint seeds"), "{t}");
    let dim = b
        .content
        .iter()
        .filter(|c| c.fg == bnlab::ui::theme::faint(Variant::Bn))
        .count();
    assert!(dim > 20, "no faint seed lines or band\n{t}");
    snap(&app, "seeds_grouped");
}

#[test]
fn the_picker_offers_every_recorded_metric_and_presets_open_on_their_view() {
    let mut app = app_with_run();
    app.on_key(key('m'));
    let p = app.picker.clone().unwrap();
    for m in [Metric::TrainLoss, Metric::GradNorm, Metric::ValAcc] {
        assert!(p.items.contains(&Some(Pick::Metric(m))), "{m}");
    }
    // Per-layer probes are offered too.
    assert!(p
        .items
        .iter()
        .any(|i| matches!(i, Some(Pick::Metric(m)) if m.is_layer())));
    let at = p
        .items
        .iter()
        .position(|i| *i == Some(Pick::Metric(Metric::GradNorm)))
        .unwrap();
    for _ in 0..at {
        app.on_key(KeyCode::Down.into());
    }
    snap(&app, "picker_open");
    app.on_key(KeyCode::Enter.into());
    assert_eq!(app.chart.pick, Some(Pick::Metric(Metric::GradNorm)));
    assert!(text(&render(&app, 120, 40)).contains(" grad_norm — "));
    // What each preset says to look at is where its run opens.
    for (preset, view, pick) in [
        (
            "smoothness",
            View::Curves,
            Some(Pick::Metric(Metric::SmoothBeta)),
        ),
        ("generalization", View::Curves, Some(Pick::Gap)),
        ("deep", View::Internals, None),
        ("ioffe2015", View::Curves, None),
    ] {
        app.run_started(record(preset));
        assert_eq!((app.view, app.chart.pick), (view, pick), "{preset}");
    }
    // The form sets the probe interval.
    let mut app = ui_common::app();
    app.on_key(KeyCode::Enter.into());
    let i = app
        .form
        .fields
        .iter()
        .position(|f| f.label == "probe interval")
        .unwrap();
    app.form.focus = i;
    for _ in 0..4 {
        app.on_key(KeyCode::Backspace.into());
    }
    app.on_key(key('7'));
    match app.on_key(KeyCode::Enter.into()) {
        Some(Effect::StartRun(c)) => assert_eq!(c.probe_every, 7),
        other => panic!("{other:?}"),
    }
}

#[test]
fn nothing_is_discarded_or_interrupted_without_asking() {
    let mut app = app_with_run();
    app.on_key(KeyCode::Esc.into());
    assert_eq!(app.screen, Screen::Menu);
    app.on_key(KeyCode::Enter.into());
    // Starting another run while one trains asks first; n keeps the training one.
    assert_eq!(app.on_key(KeyCode::Enter.into()), None);
    assert!(app.confirm.is_some());
    snap(&app, "confirm_start");
    assert_eq!(app.on_key(key('n')), None);
    assert_eq!(app.screen, Screen::Form);
    assert_eq!(app.on_key(KeyCode::Enter.into()), None);
    assert!(matches!(
        app.on_key(KeyCode::Enter.into()),
        Some(Effect::StartRun(_))
    ));
    // Esc never quits, however often it is pressed.
    for _ in 0..5 {
        assert_ne!(app.on_key(KeyCode::Esc.into()), Some(Effect::Quit));
    }
    assert!(!app.quit);
}

#[test]
fn overlays_have_their_own_tag_style_and_table_rows() {
    use bnlab::app::run_view::{Overlay, RunView};
    let tmp = tempfile::tempdir().unwrap();
    let rec = app_with_run().run.unwrap().record;
    let dirs: Vec<_> = (0..3)
        .map(|_| bnlab::analysis::save_new(&rec, tmp.path()).unwrap())
        .collect();
    let mut app = ui_common::app();
    let mut view = RunView::saved(bnlab::runs::load(&dirs[0]).unwrap(), dirs[0].clone());
    for (k, d) in dirs[1..].iter().enumerate() {
        view.overlays
            .push(Overlay::new(k, bnlab::runs::load(d).unwrap(), d.clone()));
    }
    app.run_opened(view);
    let b = render(&app, 120, 40);
    let t = text(&b);
    for tag in ["B ● plain", "B ■ bn", "C ● plain", "C ■ bn"] {
        assert_eq!(
            t.matches(tag).count(),
            2,
            "{tag} in the legend and the table\n{t}"
        );
    }
    // Overlaid lines are dim, never the shown run's full colour in Braille.
    let plain = bnlab::ui::theme::variant(Variant::Plain);
    assert!(b
        .content
        .iter()
        .any(|c| c.fg == plain && c.modifier.contains(ratatui::style::Modifier::DIM)));
}

#[test]
fn nothing_collides_or_is_cut_from_80x24_to_200x60() {
    let mut app = app_with_run();
    app.on_event(&Event::Finished {
        id: id(Variant::Plain, 0),
        status: Status::Interrupted,
        step: 400,
        message: None,
        elapsed_s: 4.0,
        samples_per_sec: 6000.0,
    });
    app.status = Some("exported to saved_runs/20261202-070000-ioffe2015".into());
    for (w, h) in [(80, 24), (100, 30), (120, 40), (200, 60)] {
        app.on_resize(w, h);
        for view in View::ALL {
            app.view = view;
            let t = text(&render(&app, w, h));
            assert!(
                !t.contains("interruptedstep") && !t.contains("finishedstep"),
                "{w}x{h}\n{t}"
            );
            // A stopped trainer has no ETA.
            if let Some(g) = t.lines().find(|l| l.starts_with("● plain")) {
                assert!(!g.contains("ETA"), "{g}");
            }
            // The footer ends on a whole hint: nothing cut at the edge.
            let last = t.lines().last().unwrap().trim_end();
            assert!(last.chars().count() < w as usize, "{w}x{h}: {last}");
            let hint = last.rsplit("  ").next().unwrap();
            assert!(
                [
                    "quit", "menu", "view", "restart", "export", "series", "zoom", "cursor",
                    "metric", "stop", "pause", "help", "report", "back"
                ]
                .iter()
                .any(|k| hint.ends_with(k)),
                "{w}x{h}: footer cut: {last}"
            );
            let top = t.lines().next().unwrap().trim_end();
            assert!(top.chars().count() <= w as usize, "{top}");
        }
    }
}

#[test]
fn the_ui_and_the_report_share_one_palette() {
    for v in Variant::ALL {
        let (r, g, b) = bnlab::palette::rgb(v);
        assert_eq!(
            bnlab::ui::theme::variant(v),
            ratatui::style::Color::Rgb(r, g, b)
        );
        assert_eq!(
            bnlab::report::charts::color(v),
            plotters::style::RGBColor(r, g, b)
        );
    }
}
