//! Key bindings as state updates, without a terminal.

use crate::ui_common;

use bnlab::app::help::HelpRow;
use bnlab::app::keymap::{self, KEYMAP};
use bnlab::app::{Ctx, Effect, FieldKey, Help, Screen, View, XAxis};
use bnlab::data::DatasetName;
use bnlab::presets::PRESETS;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
use ui_common::*;

fn key(c: char) -> KeyEvent {
    KeyCode::Char(c).into()
}

#[test]
fn menu_moves_with_arrows_and_vim_keys_and_wraps() {
    let mut app = app();
    let n = app.menu_len();
    app.on_key(KeyCode::Down.into());
    app.on_key(key('j'));
    assert_eq!(app.menu, 2);
    app.on_key(key('k'));
    assert_eq!(app.menu, 1);
    app.on_key(KeyCode::Up.into());
    app.on_key(KeyCode::Up.into());
    assert_eq!(app.menu, n - 1);
}

#[test]
fn enter_opens_the_form_and_enter_again_starts_the_preset() {
    let mut app = app();
    assert_eq!(app.on_key(KeyCode::Enter.into()), None);
    assert_eq!(app.screen, Screen::Form);
    match app.on_key(KeyCode::Enter.into()) {
        Some(Effect::StartRun(c)) => assert_eq!(*c, PRESETS[0].config(DatasetName::Mnist5k)),
        other => panic!("expected a start, got {other:?}"),
    }
}

#[test]
fn the_form_explains_what_is_wrong_instead_of_starting() {
    let mut app = app();
    app.on_key(KeyCode::Enter.into());
    // Down to the batch size, clear it and type a letter-free but invalid value.
    let batch = app
        .form
        .fields
        .iter()
        .position(|f| f.label == "batch size")
        .unwrap();
    for _ in 0..batch {
        app.on_key(KeyCode::Down.into());
    }
    for _ in 0..5 {
        app.on_key(KeyCode::Backspace.into());
    }
    app.on_key(key('0'));
    assert_eq!(app.on_key(KeyCode::Enter.into()), None);
    let e = app.form.error.clone().expect("an error");
    assert_eq!(e.field.and_then(|f| app.form.row_of(f)), Some(batch));
    assert_eq!(app.form.focus, batch);
    let msg = e.message;
    assert!(
        msg.contains("batch size") && msg.contains("between 1 and 10000"),
        "{msg}"
    );
    // Unavailable dataset: choosing full MNIST explains how to get it.
    app.form.focus = 0;
    app.on_key(KeyCode::Left.into());
    app.on_key(KeyCode::Left.into());
    assert_eq!(app.on_key(KeyCode::Enter.into()), None);
    let e = app.form.error.clone().expect("an error");
    assert_eq!(e.field, Some(FieldKey::Dataset));
    let msg = e.message;
    assert!(msg.contains("bnlab data fetch"), "{msg}");
    // …and offers to download it here.
    assert!(matches!(
        app.download,
        Some(bnlab::app::Download::Offer {
            name: DatasetName::Mnist,
            ..
        })
    ));
}

#[test]
fn esc_goes_back_in_sub_screens_and_never_quits() {
    let mut app = app();
    app.on_key(KeyCode::Enter.into());
    app.on_key(KeyCode::Esc.into());
    assert_eq!(app.screen, Screen::Menu);
    app.on_key(key('a'));
    assert_eq!(app.screen, Screen::About);
    app.on_key(KeyCode::Esc.into());
    assert_eq!(app.screen, Screen::Menu);
    assert_eq!(app.on_key(key('b')), Some(Effect::ScanRuns));
    assert_eq!(app.screen, Screen::Browser);
    app.on_key(KeyCode::Esc.into());
    assert!(!app.quit);
    // On the menu there is nothing to go back to: Esc says how to quit instead of quitting.
    for _ in 0..3 {
        assert_eq!(app.on_key(KeyCode::Esc.into()), None);
    }
    assert!(!app.quit);
    assert_eq!(app.screen, Screen::Menu);
    assert!(app.status.as_deref().unwrap().contains("q quits"));
}

#[test]
fn ctrl_c_and_q_quit_from_anywhere() {
    for screen in [
        Screen::Menu,
        Screen::Form,
        Screen::Run,
        Screen::Browser,
        Screen::About,
    ] {
        let mut app = app_with_run();
        app.screen = screen;
        let e = app.on_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
        assert_eq!(e, Some(Effect::Quit), "{screen:?}");
    }
    let mut app = app_with_run();
    assert_eq!(app.on_key(key('q')), Some(Effect::Quit));
}

#[test]
fn run_keys_pause_stop_export_and_restart() {
    let mut app = app_with_run();
    assert_eq!(app.on_key(key(' ')), Some(Effect::Pause));
    assert!(app.run.as_ref().unwrap().paused);
    assert_eq!(app.on_key(key(' ')), Some(Effect::Resume));
    assert!(!app.run.as_ref().unwrap().paused);
    assert_eq!(app.on_key(key('e')), Some(Effect::Export));
    // Restarting throws the run in training away: it asks first, and n keeps it.
    assert_eq!(app.on_key(key('r')), None);
    assert!(app.confirm.is_some());
    assert_eq!(app.on_key(key('n')), None);
    assert!(app.confirm.is_none());
    assert_eq!(app.on_key(key('r')), None);
    assert_eq!(app.on_key(key('y')), Some(Effect::Restart));
    assert_eq!(app.on_key(key('s')), Some(Effect::Stop));
    assert!(app.run.as_ref().unwrap().stop_requested);
    // A finished run cannot be paused or stopped, but can still be exported.
    let mut app = app_with_run();
    finish(&mut app);
    assert_eq!(app.on_key(key(' ')), None);
    assert_eq!(app.on_key(key('s')), None);
    assert_eq!(app.on_key(key('e')), Some(Effect::Export));
}

#[test]
fn tab_cycles_views_and_chart_keys_change_settings() {
    let mut app = app_with_run();
    let mut seen = vec![app.view];
    for _ in 0..4 {
        app.on_key(KeyCode::Tab.into());
        seen.push(app.view);
    }
    assert_eq!(
        seen,
        [
            View::Curves,
            View::Signals,
            View::Internals,
            View::About,
            View::Curves
        ]
    );
    app.on_key(KeyCode::BackTab.into());
    assert_eq!(app.view, View::About);
    app.on_key(key('x'));
    assert_eq!(app.chart.x_axis, XAxis::Epochs);
    app.on_key(key('x'));
    assert_eq!(app.chart.x_axis, XAxis::Time);
    app.on_key(key('w'));
    assert!(app.chart.raw);
    app.on_key(key('o'));
    assert!(app.chart.log_loss);
    for _ in 0..50 {
        app.on_key(key('+'));
    }
    assert_eq!(app.chart.smoothing, 0.99);
    for _ in 0..50 {
        app.on_key(key('-'));
    }
    assert_eq!(app.chart.smoothing, 0.0);
}

#[test]
fn help_opens_with_question_mark_and_closes_with_any_key() {
    let mut app = app_with_run();
    app.on_key(key('?'));
    assert!(app.help.open);
    // While help is shown, keys do not reach the run.
    assert_eq!(app.on_key(key(' ')), None);
    assert!(!app.help.open);
    assert!(!app.run.as_ref().unwrap().paused);
}

#[test]
fn esc_on_the_run_screen_goes_to_the_menu_and_v_returns() {
    let mut app = app_with_run();
    app.on_key(KeyCode::Esc.into());
    assert_eq!(app.screen, Screen::Menu);
    assert!(app.run.as_ref().unwrap().is_running());
    app.on_key(key('v'));
    assert_eq!(app.screen, Screen::Run);
}

#[test]
fn clicks_select_menu_entries_and_tabs() {
    let mut app = app();
    app.on_resize(120, 40);
    let click = |col, row| MouseEvent {
        kind: MouseEventKind::Down(MouseButton::Left),
        column: col,
        row,
        modifiers: KeyModifiers::NONE,
    };
    // The list starts on the third line, inside its border.
    app.on_mouse(click(5, 4));
    assert_eq!(app.menu, 2);
    app.on_mouse(click(5, 4));
    assert_eq!(app.screen, Screen::Form);

    let mut app = app_with_run();
    app.on_resize(120, 40);
    let tabs = bnlab::app::layout::tab_ranges(ratatui::layout::Rect::new(0, 0, 120, 40));
    app.on_mouse(click(tabs[2].0 + 1, 0));
    assert_eq!(app.view, View::Internals);
}

#[test]
fn capital_r_writes_the_report_of_a_saved_run_only() {
    // Running: nothing to report yet, and the status says why.
    let mut app = app_with_run();
    assert_eq!(app.on_key(key('R')), None);
    assert!(app.status.as_deref().unwrap().contains("saved run"));
    // Finished but not saved.
    finish(&mut app);
    assert_eq!(app.on_key(key('R')), None);
    assert!(app.status.as_deref().unwrap().contains("press e"));
    // Saved.
    app.run.as_mut().unwrap().saved_dir = Some("/tmp/r/run1".into());
    assert_eq!(
        app.on_key(key('R')),
        Some(Effect::WriteReport("/tmp/r/run1".into()))
    );
}

#[test]
fn capital_r_in_the_browser_reports_the_selected_run() {
    let tmp = tempfile::tempdir().unwrap();
    let rec = app_with_run().run.unwrap().record;
    let a = bnlab::analysis::save_new(&rec, tmp.path()).unwrap();
    let mut app = app();
    app.browser = bnlab::app::Browser::scan(tmp.path());
    app.screen = Screen::Browser;
    assert_eq!(app.on_key(key('R')), Some(Effect::WriteReport(a)));
    // An empty folder has nothing to report.
    let mut app = ui_common::app();
    app.screen = Screen::Browser;
    assert_eq!(app.on_key(key('R')), None);
}

/// An app in which the bindings of `ctx` are the active ones, set up so that each of them
/// has something to do (a run with an overlay, three saved runs, a scrolled help…).
fn app_in(ctx: Ctx, runs: &std::path::Path) -> bnlab::app::App {
    use bnlab::app::form::FieldKey;
    let mut app = app_with_run();
    let run = app.run.as_mut().unwrap();
    run.layer = 2;
    run.overlays.push(bnlab::app::run_view::Overlay::new(
        0,
        record("ioffe2015"),
        "/nonexistent/other".into(),
    ));
    app.view = View::About;
    let focus = |app: &mut bnlab::app::App, k: FieldKey| {
        app.form.focus = app.form.fields.iter().position(|f| f.key == k).unwrap();
    };
    match ctx {
        Ctx::Always | Ctx::Global | Ctx::Fallback => {}
        Ctx::Run => {
            // Zoomed in and on the y-axis, so that zooming out and panning change something.
            app.chart.zoom_x(0.5);
            app.chart.y_zoom = 2.0;
        }
        Ctx::Confirm => assert_eq!(app.on_key(key('r')), None),
        Ctx::Picker => {
            app.view = View::Curves;
            app.on_key(key('m'));
            app.picker.as_mut().unwrap().selected = 1;
        }
        Ctx::Help => {
            app.on_resize(80, 24);
            app.help = Help {
                open: true,
                scroll: 3,
            };
        }
        Ctx::SaveAs => app.save_failed("disk full".into(), "/tmp/x".into()),
        Ctx::Offer | Ctx::Downloading => {
            app.screen = Screen::Menu;
            app.offer_download(DatasetName::Mnist);
            if ctx == Ctx::Downloading {
                app.on_key(key('y'));
            }
        }
        Ctx::Menu => {
            app.screen = Screen::Menu;
            app.menu = 2;
        }
        Ctx::Form | Ctx::FormChoice | Ctx::FormText => {
            app.screen = Screen::Menu;
            app.menu = 0;
            app.on_key(KeyCode::Enter.into());
            let k = if ctx == Ctx::FormText {
                FieldKey::Lr
            } else {
                FieldKey::Activation
            };
            focus(&mut app, k);
        }
        Ctx::Browser | Ctx::BrowserFilter => {
            if bnlab::runs::list(runs).is_empty() {
                for _ in 0..3 {
                    let rec = app_with_run().run.unwrap().record;
                    bnlab::analysis::save_new(&rec, runs).unwrap();
                }
            }
            app.browser = bnlab::app::Browser::scan(runs);
            app.browser.selected = 1;
            app.screen = Screen::Browser;
            if ctx == Ctx::BrowserFilter {
                // Something to erase, typed after `/`.
                app.on_key(key('/'));
                app.on_key(key('i'));
            }
        }
        Ctx::About => {
            app.screen = Screen::About;
            app.about_scroll = 5;
        }
    }
    app
}

#[test]
fn every_keymap_entry_dispatches_to_its_action() {
    let tmp = tempfile::tempdir().unwrap();
    let mut browser_app = None;
    for b in KEYMAP {
        let fresh = if b.ctx == Ctx::Browser {
            browser_app
                .get_or_insert_with(|| app_in(Ctx::Browser, tmp.path()))
                .clone()
        } else {
            app_in(b.ctx, tmp.path())
        };
        assert!(fresh.contexts().contains(&b.ctx), "{b:?}");
        for k in b.keys {
            let ev = k.example();
            let mut fresh = fresh.clone();
            if let KeyCode::Char(d @ '1'..='4') = ev.code {
                // A view key does nothing on its own view.
                fresh.view = View::ALL[(d as usize - '1' as usize + 1) % View::ALL.len()];
            }
            // No earlier binding hides this one…
            assert_eq!(
                keymap::resolve(&fresh.contexts(), &ev),
                Some(b),
                "{} ({:?}) is shadowed",
                k.label(),
                b.ctx
            );
            // …and pressing it does something: an effect or a visible change of state.
            let mut app = fresh.clone();
            let effect = app.on_key(ev);
            assert!(
                effect.is_some() || format!("{app:?}") != format!("{fresh:?}"),
                "{} in {:?} ({}) did nothing",
                k.label(),
                b.ctx,
                b.help
            );
        }
    }
}

#[test]
fn help_scrolls_to_the_last_key_at_80_by_24() {
    let mut app = app_with_run();
    app.on_resize(80, 24);
    app.on_key(key('?'));
    let rows = app.help_rows();
    let keys: Vec<_> = rows
        .iter()
        .filter_map(|r| match r {
            HelpRow::Key(b) => Some(*b),
            _ => None,
        })
        .collect();
    let last = keys.last().unwrap();
    // Every key of the run screen is listed, from the one table.
    for b in KEYMAP.iter().filter(|b| b.ctx == Ctx::Run) {
        assert!(keys.contains(&b), "{b:?} not in the help");
    }
    let first = text(&render(&app, 80, 24));
    assert!(first.contains("Run"), "{first}");
    assert!(
        !first.contains(last.help),
        "all fits: nothing to test\n{first}"
    );
    // Down and j scroll one line each, until the last line is shown, then stop.
    let mut seen = first.clone();
    for i in 0..rows.len() {
        let before = app.help.scroll;
        app.on_key(if i % 2 == 0 {
            KeyCode::Down.into()
        } else {
            key('j')
        });
        assert!(app.help.open);
        if app.help.scroll == before {
            break;
        }
        seen.push_str(&text(&render(&app, 80, 24)));
    }
    let end = text(&render(&app, 80, 24));
    assert!(
        end.contains(last.help) && end.contains(&last.label()),
        "{end}"
    );
    for b in &keys {
        assert!(seen.contains(b.help), "{} never shown", b.help);
    }
    // Home, PgDn and End agree with the line-by-line scrolling.
    app.on_key(KeyCode::Home.into());
    assert_eq!(app.help.scroll, 0);
    app.on_key(KeyCode::End.into());
    assert_eq!(text(&render(&app, 80, 24)), end);
    app.on_key(KeyCode::Home.into());
    for _ in 0..rows.len() {
        app.on_key(KeyCode::PageDown.into());
    }
    assert_eq!(text(&render(&app, 80, 24)), end);
    let bottom = app.help.scroll;
    app.on_key(KeyCode::PageUp.into());
    assert!(app.help.scroll < bottom && app.help.open);
    app.on_key(KeyCode::Up.into());
    app.on_key(key('k'));
    app.on_key(KeyCode::Char('x').into());
    assert!(!app.help.open, "another key closes the help");
}

#[test]
fn esc_from_the_form_goes_back_to_the_menu_and_never_quits() {
    let fields = app().form.fields.len();
    for i in 0..fields {
        let mut app = app();
        app.on_key(KeyCode::Enter.into());
        app.form.focus = i;
        // Typed into a text field, or cycled on a choice, then a failed start.
        app.on_key(key('z'));
        app.on_key(KeyCode::Enter.into());
        let e = app.on_key(KeyCode::Esc.into());
        assert_ne!(e, Some(Effect::Quit), "field {i}");
        assert!(!app.quit, "field {i}");
        assert_eq!(app.screen, Screen::Menu, "field {i}");
    }
}

#[test]
fn a_click_on_a_form_line_picks_that_field_where_the_claim_wraps() {
    for (w, h) in [(80, 24), (120, 40)] {
        let mut app = app();
        app.on_resize(w, h);
        app.on_key(KeyCode::Enter.into());
        let b = render(&app, w, h);
        let t = text(&b);
        let row = t
            .lines()
            .position(|l| l.contains("batch size"))
            .expect("batch size drawn") as u16;
        app.on_mouse(MouseEvent {
            kind: MouseEventKind::Down(MouseButton::Left),
            column: 10,
            row,
            modifiers: KeyModifiers::NONE,
        });
        assert_eq!(
            app.form.fields[app.form.focus].label, "batch size",
            "{w}×{h}"
        );
    }
}
