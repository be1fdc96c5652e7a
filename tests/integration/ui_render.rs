//! What the screens contain, rendered with ratatui's TestBackend.

use crate::ui_common;

use bnlab::app::help::HelpRow;
use bnlab::app::{Screen, View};
use bnlab::model::Variant;
use bnlab::presets::PRESETS;
use bnlab::train::{BnUnit, Event};
use bnlab::ui::theme;
use ratatui::style::Color;
use ui_common::*;

#[test]
fn menu_lists_every_preset_with_its_claim_and_the_data_note() {
    let app = app();
    let t = text(&render(&app, 120, 40));
    for p in PRESETS {
        assert!(t.contains(p.title), "missing {} in\n{t}", p.title);
    }
    assert!(t.contains("Saved runs") && t.contains("About BatchNorm"));
    assert!(t.contains(PRESETS[0].claim), "{t}");
    assert!(t.contains("No full MNIST"), "{t}");
    assert!(t.contains("bnlab data fetch mnist"), "{t}");
}

#[test]
fn form_shows_the_settings_that_matter() {
    let mut app = app();
    app.on_key(crossterm::event::KeyCode::Enter.into());
    assert_eq!(app.screen, Screen::Form);
    let t = text(&render(&app, 100, 30));
    for label in [
        "dataset",
        "plain net",
        "compared with",
        "activation",
        "optimizer",
        "learning rate",
        "batch size",
        "epochs",
        "init sigma",
        "seed",
    ] {
        assert!(t.contains(label), "missing {label} in\n{t}");
    }
    assert_eq!(field(&t, "dataset"), Some("‹ mnist-5k ›"), "{t}");
    assert_eq!(field(&t, "learning rate"), Some("0.5"), "{t}");
    assert_eq!(field(&t, "init sigma"), Some("0.1"), "{t}");
}

/// The value a form row shows after `label`, up to the next wide gap.
fn field<'a>(t: &'a str, label: &str) -> Option<&'a str> {
    t.lines().find_map(|l| {
        let row = l.trim_start_matches('│').trim_start_matches([' ', '▶']);
        let rest = row.strip_prefix(label)?.trim_start();
        Some(
            rest.split("  ")
                .next()
                .unwrap_or("")
                .trim_end_matches('│')
                .trim(),
        )
    })
}

/// Cells of the chart area drawn in a colour with a Braille or dot glyph.
fn plotted_cells(b: &ratatui::buffer::Buffer, color: Color) -> usize {
    b.content
        .iter()
        .filter(|c| {
            c.fg == color
                && c.symbol()
                    .chars()
                    .next()
                    .is_some_and(|ch| ('\u{2801}'..='\u{28FF}').contains(&ch) || ch == '•')
        })
        .count()
}

#[test]
fn run_screen_draws_both_variants_with_legend_gauges_and_table() {
    let app = app_with_run();
    let b = render(&app, 120, 40);
    let t = text(&b);
    assert!(t.contains("● plain") && t.contains("■ bn"), "{t}");
    assert!(t.contains("Loss") && t.contains("Accuracy"), "{t}");
    assert!(t.contains("step 400/1000"), "{t}");
    assert!(
        t.contains("Compared at step 400") && t.contains("→95%"),
        "{t}"
    );
    assert!(
        plotted_cells(&b, theme::variant(bnlab::model::Variant::Plain)) > 20,
        "plain curve not drawn\n{t}"
    );
    assert!(
        plotted_cells(&b, theme::variant(bnlab::model::Variant::Bn)) > 20,
        "bn curve not drawn\n{t}"
    );
}

#[test]
fn help_overlay_lists_every_key() {
    let mut app = app_with_run();
    app.on_resize(120, 40);
    app.help.open = true;
    // The run screen has more keys than 40 rows: page through them all.
    let mut t = String::new();
    for _ in 0..6 {
        t.push_str(&text(&render(&app, 120, 40)));
        app.on_key(crossterm::event::KeyCode::PageDown.into());
    }
    for row in app.help_rows() {
        if let HelpRow::Key(b) = row {
            assert!(t.contains(&b.label()), "key {} missing\n{t}", b.label());
            assert!(t.contains(b.help), "{} missing\n{t}", b.help);
        }
    }
}

#[test]
fn a_small_terminal_gets_a_message() {
    let app = app_with_run();
    let t = text(&render(&app, 79, 24));
    assert!(t.contains("Terminal too small"), "{t}");
    assert!(t.contains("80×24"), "{t}");
    let t = text(&render(&app, 80, 23));
    assert!(t.contains("Terminal too small"), "{t}");
}

/// The sizes every screen is held to: the smallest supported terminal and a common one.
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

/// The frame's text as a snapshot named `name` at each size. The frames hold no clock, date
/// or machine path (the test app's folders are fixed), so they are the same on any machine.
fn snapshots(app: &bnlab::app::App, name: &str) {
    for (w, h) in SIZES {
        let t = text(&render(app, w, h));
        assert!(!t.contains("Terminal too small"), "{name} at {w}x{h}\n{t}");
        insta::assert_snapshot!(format!("{name}_{w}x{h}"), t);
    }
}

#[test]
fn every_screen_and_view_matches_its_snapshot() {
    // Empty: no run, no saved runs.
    let mut app = app();
    for (screen, name) in [
        (Screen::Menu, "menu"),
        (Screen::Form, "form"),
        (Screen::Browser, "browser_empty"),
        (Screen::About, "about_no_run"),
    ] {
        app.screen = screen;
        snapshots(&app, name);
    }
    app.screen = Screen::Browser;
    assert!(text(&render(&app, 80, 24)).contains("No runs saved yet"));
    app.screen = Screen::About;
    assert!(text(&render(&app, 100, 30)).contains("Start a run with a BN variant"));

    // A run that has not reported anything yet, then one where both variants have progressed.
    app.run_started(record("ioffe2015"));
    for (app, state) in [(app, "waiting"), (app_with_run(), "running")] {
        let mut app = app;
        for view in View::ALL {
            app.view = view;
            snapshots(&app, &format!("run_{state}_{view:?}").to_lowercase());
        }
    }
}

#[test]
fn empty_states_do_not_panic_at_any_size() {
    let mut app = app();
    app.run_started(record("ioffe2015"));
    for view in View::ALL {
        app.view = view;
        for (w, h) in [(80, 24), (120, 40), (300, 100), (80, 200), (300, 24)] {
            render(&app, w, h);
        }
    }
    app.view = View::Curves;
    assert!(text(&render(&app, 100, 30)).contains("waiting for the first values"));
}

#[test]
fn gauges_never_exceed_the_total() {
    let mut app = app_with_run();
    // A trainer reporting beyond its total must not overflow the gauge.
    app.on_event(&Event::Progress {
        id: id(Variant::Bn, 0),
        step: 5000,
        elapsed_s: 50.0,
        samples_per_sec: 1.0,
    });
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("step 5000/1000"), "{t}");
    let run = app.run.as_ref().unwrap();
    assert_eq!(run.stats(&run.group(Variant::Bn)).ratio(), 1.0);
}

#[test]
fn seeds_waiting_for_a_core_count_in_the_total_and_the_gauge_reads_per_seed() {
    let mut app = ui_common::app();
    let one = record("ioffe2015");
    let mut c = one.config.clone();
    c.seeds = 3;
    app.run_started(bnlab::runs::RunRecord::new(c, one.data_info));
    // Seed 1 of each variant is halfway; seeds 2 and 3 wait for a core.
    for v in [Variant::Plain, Variant::Bn] {
        for e in events(id(v, 0), 50, 1000, 1.0) {
            app.on_event(&e);
        }
    }
    let run = app.run.as_ref().unwrap();
    let st = run.stats(&run.group(Variant::Bn));
    assert_eq!((st.steps, st.total), (500, 3000));
    assert!((st.ratio() - 1.0 / 6.0).abs() < 1e-12);
    let t = text(&render(&app, 120, 40));
    // 500 of 3 × 1000 steps: a mean of 167 per seed, not 167 of 333.
    assert!(t.contains("step 167/1000 ×3"), "{t}");
}

#[test]
fn internals_show_bands_or_say_there_are_no_probes() {
    let mut app = app_with_run();
    app.view = View::Internals;
    let t = text(&render(&app, 120, 40));
    assert!(
        t.contains("Activation input") && t.contains("Gradient norm per layer"),
        "{t}"
    );
    assert!(t.contains("out"), "{t}");

    let mut app = ui_common::app();
    app.run_started(record("high-lr"));
    app.view = View::Internals;
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("no probe metrics"), "{t}");
}

#[test]
fn about_view_shows_formulas_and_the_live_unit() {
    let mut app = app_with_run();
    app.on_event(&Event::BnUnit {
        id: id(Variant::Bn, 0),
        step: 400,
        unit: BnUnit {
            layer: 1,
            unit: 0,
            batch_mean: 0.25,
            batch_var: 4.0,
            gamma: 1.5,
            beta: -0.5,
            running_mean: 0.2,
            running_var: 3.9,
            epsilon: 1e-5,
            x: 2.25,
            x_hat: 1.0,
            y: 1.0,
        },
    });
    app.view = View::About;
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("μ_B  = (1/m) Σ x_i"), "{t}");
    assert!(t.contains("y    = γ x̂ + β"), "{t}");
    assert!(t.contains("bn, layer 1 unit 0, step 400"), "{t}");
    assert!(t.contains("1.50"), "{t}");
}

#[test]
fn a_failed_trainer_shows_its_error() {
    let mut app = app_with_run();
    app.on_event(&Event::Finished {
        id: id(Variant::Bn, 0),
        status: bnlab::train::Status::Failed,
        step: 400,
        message: Some("trainer panicked: out of cheese".into()),
        elapsed_s: 4.0,
        samples_per_sec: 1.0,
    });
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("out of cheese"), "{t}");
    assert!(t.contains("failed"), "{t}");
}

#[test]
fn a_sweep_has_one_line_per_point() {
    let mut app = app();
    app.run_started(record("high-lr"));
    for p in 0..4 {
        for v in [Variant::Plain, Variant::Bn] {
            for e in events(id(v, p), 10, 500, 0.5) {
                app.on_event(&e);
            }
        }
    }
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("learning rate"), "{t}");
    // The sweep table's first column, one row per point in order.
    let rows: Vec<&str> = t
        .lines()
        .skip_while(|l| !l.contains("Sweep: one pair of nets per value"))
        .skip(2)
        .take_while(|l| !l.starts_with('└'))
        .map(|l| {
            let cell = l.trim_start_matches('│').trim_start_matches("▶");
            cell.split_whitespace().next().unwrap_or("")
        })
        .collect();
    assert_eq!(rows, ["0.01", "0.03", "0.1", "0.3", "1", "3", "10"], "{t}");
    // The charted point follows the trainers until the user picks one.
    assert!(t.contains("▶ 0.3 "), "{t}");
    app.on_key(crossterm::event::KeyCode::Char('[').into());
    assert!(text(&render(&app, 120, 40)).contains("▶ 0.1"));
    for e in events(id(Variant::Plain, 3), 11, 500, 0.5) {
        app.on_event(&e);
    }
    assert!(text(&render(&app, 120, 40)).contains("▶ 0.1"));
}

#[test]
fn the_browser_lists_saved_runs_and_opens_one_with_an_overlay() {
    use bnlab::app::run_view::{Overlay, RunView};
    use bnlab::app::Browser;
    let tmp = tempfile::tempdir().unwrap();
    let live = app_with_run();
    let rec = live.run.as_ref().unwrap().record.clone();
    let a = bnlab::analysis::save_new(&rec, tmp.path()).unwrap();
    let b = bnlab::analysis::save_new(&rec, tmp.path()).unwrap();

    let mut app = ui_common::app();
    app.runs_dir = tmp.path().to_path_buf();
    app.browser = Browser::scan(tmp.path());
    app.screen = Screen::Browser;
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("2 run(s)"), "{t}");
    assert!(t.contains("ioffe2015 on mnist-5k"), "{t}");

    let mut view = RunView::saved(bnlab::runs::load(&a).unwrap(), a.clone());
    view.overlays
        .push(Overlay::new(0, bnlab::runs::load(&b).unwrap(), b.clone()));
    let b_name = b.file_name().unwrap().to_string_lossy().into_owned();
    app.run_opened(view);
    let t = text(&render(&app, 120, 40));
    assert!(
        t.contains("saved run") && t.contains("+B ") && b_name.starts_with("20"),
        "{t}"
    );
    assert!(t.contains("B ● plain") && t.contains("B ■ bn"), "{t}");
    // The planned length comes from the config, not a zero total.
    assert!(t.contains("step 400/1320"), "{t}");
}

#[test]
fn the_download_offer_and_its_progress_are_drawn() {
    use bnlab::app::Download;
    use bnlab::data::fetch::{FetchProgress, FetchUpdate, Stage};
    let mut app = app();
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("Press d to download it (11 MB)"), "{t}");
    app.on_key(crossterm::event::KeyCode::Char('d').into());
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("Download full MNIST (11 MB)?"), "{t}");
    assert!(t.contains("y  Enter") && t.contains("n  Esc"), "{t}");

    app.on_key(crossterm::event::KeyCode::Char('y').into());
    assert!(matches!(app.download, Some(Download::Running(_))));
    app.fetch_started(Some("/cache/bnlab/mnist".into()));
    app.on_fetch_update(FetchUpdate::Progress(FetchProgress {
        file: "train-labels-idx1-ubyte".into(),
        index: 1,
        count: 4,
        done: 2_500_000,
        total: Some(5_000_000),
        overall: 0.4,
        stage: Stage::Downloading,
    }));
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("Downloading full MNIST (11 MB)"), "{t}");
    assert!(t.contains("into /cache/bnlab/mnist"), "{t}");
    assert!(t.contains("file 2/4  train-labels-idx1-ubyte"), "{t}");
    assert!(t.contains("this file 2.5 MB / 5.0 MB"), "{t}");
    assert!(t.contains("all files 40%"), "{t}");
    assert!(t.contains("Esc cancels"), "{t}");
    // The box fits the smallest supported terminal.
    let t = text(&render(&app, 80, 24));
    assert!(t.contains("this file 2.5 MB / 5.0 MB"), "{t}");
}

#[test]
fn report_results_show_in_the_status_line() {
    let mut app = app_with_run();
    finish(&mut app);
    app.run.as_mut().unwrap().saved_dir = Some("/tmp/runs/r1".into());
    let e = app.on_key(crossterm::event::KeyCode::Char('R').into());
    assert_eq!(
        e,
        Some(bnlab::app::Effect::WriteReport("/tmp/runs/r1".into()))
    );
    let t = text(&render(&app, 120, 40));
    assert!(t.contains("writing the report for /tmp/runs/r1"), "{t}");
}

#[test]
fn a_finished_run_shows_the_verdict_of_its_claim_from_the_shared_analysis() {
    let mut app = app_with_run();
    let t = text(&render(&app, 120, 40));
    assert!(!t.contains("Verdict:"), "no verdict while training:\n{t}");
    finish(&mut app);
    let t = text(&render(&app, 120, 40));
    let run = app.run.as_ref().unwrap();
    let v = run
        .verdict
        .as_ref()
        .expect("a verdict once every trainer stopped");
    // The same verdict the report computes, and one seed makes it indicative.
    let groups = bnlab::analysis::compare::Groups::new(
        run.record
            .jobs
            .iter()
            .map(bnlab::analysis::metrics::JobMetrics::of)
            .collect(),
        &run.record.config.variants,
    );
    let p = bnlab::presets::find("ioffe2015").unwrap();
    assert_eq!(
        Some(v),
        bnlab::analysis::verdict::judge(p.name, p.claim, &groups).as_ref()
    );
    assert!(v.indicative);
    assert!(t.contains(&format!("Verdict: {}", v.label())), "{t}");
}
