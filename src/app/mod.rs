//! The UI's state and how keys, mouse clicks and trainer events change it. Everything here
//! is a plain function of the state and its input; what needs threads, files or the terminal
//! is returned as an [`Effect`] for the runtime (`tui`) to carry out.
//!
//! A key is looked up in [`keymap::KEYMAP`] among the contexts active now
//! ([`App::contexts`]); the screen or box owning that context handles the action, each in
//! its own module.

mod about;
pub(crate) mod browser;
mod browser_keys;
pub(crate) mod confirm;
pub(crate) mod curves;
pub(crate) mod download;
mod download_keys;
pub use download_keys::DownloadFailure;
pub mod form;
mod form_keys;
pub(crate) mod framing;
pub mod help;
pub mod keymap;
pub mod layout;
mod menu;
mod mouse;
pub(crate) mod picker;
mod run_keys;
pub mod run_view;
pub(crate) mod save_as;
pub(crate) mod series_index;
mod state;

use std::path::PathBuf;

use crossterm::event::{KeyEvent, KeyEventKind};

use crate::runs::RunRecord;
use crate::train::Event;

pub use browser::Browser;
pub use curves::XAxis;
pub use download::{Download, Transfer};
pub use form::{FieldKey, Form, FormError};
pub use help::Help;
pub use keymap::{Action, Ctx};
pub use menu::MENU_EXTRA;
pub use run_view::RunView;
pub use state::{ChartSettings, DataState, Effect, Pick, Screen, View};

#[derive(Debug, Clone)]
pub struct App {
    pub screen: Screen,
    /// Where Esc goes from the run screen.
    pub run_back: Screen,
    pub size: (u16, u16),
    /// Selected menu entry: presets, then "Saved runs", then "About BatchNorm".
    pub menu: usize,
    pub form: Form,
    pub data: DataState,
    pub run: Option<RunView>,
    pub browser: Browser,
    pub chart: ChartSettings,
    pub view: View,
    /// The key help over the current screen.
    pub help: Help,
    pub about_scroll: u16,
    /// Last message for the status line (exports, errors).
    pub status: Option<String>,
    pub quit: bool,
    pub runs_dir: PathBuf,
    pub log_path: Option<PathBuf>,
    /// A dataset download offered or under way; it takes the keys while shown.
    pub download: Option<Download>,
    /// Where to save a run that could not be saved; it takes the keys while shown.
    pub save_as: Option<save_as::SaveAs>,
    /// A question before work is discarded; it takes the keys while shown.
    pub confirm: Option<confirm::Confirm>,
    /// The metric picker of the run screen; it takes the keys while shown.
    pub picker: Option<picker::Picker>,
}

impl App {
    pub fn new(data: DataState, runs_dir: PathBuf) -> Self {
        let form = Form::new(0, data.best, &data.available);
        Self {
            screen: Screen::Menu,
            run_back: Screen::Menu,
            size: (120, 40),
            menu: 0,
            form,
            data,
            run: None,
            browser: Browser::default(),
            chart: ChartSettings::default(),
            view: View::Curves,
            help: Help::default(),
            about_scroll: 0,
            status: None,
            quit: false,
            runs_dir,
            log_path: None,
            download: None,
            save_as: None,
            confirm: None,
            picker: None,
        }
    }

    /// Folds a trainer event into the current run.
    pub fn on_event(&mut self, ev: &Event) {
        if let Some(r) = self.run.as_mut().filter(|r| r.live) {
            r.apply(ev);
        }
    }

    /// A run was started on `record`'s config: show it.
    pub fn run_started(&mut self, record: RunRecord) {
        self.show_run(RunView::live(record));
        self.run_back = Screen::Menu;
        self.status = Some("training: space pause, s stop, e export, tab views, ? help".into());
    }

    pub fn run_opened(&mut self, view: RunView) {
        self.show_run(view);
        self.run_back = Screen::Browser;
    }

    /// Shows `view` on the view its preset says to look at, with the chart's zoom, cursor
    /// and hidden series of the previous run forgotten.
    fn show_run(&mut self, view: RunView) {
        let (v, pick) = picker::opening(&view.record.config.preset);
        self.view = v;
        self.chart = ChartSettings {
            pick,
            ..ChartSettings {
                smoothing: self.chart.smoothing,
                raw: self.chart.raw,
                x_axis: self.chart.x_axis,
                log_loss: self.chart.log_loss,
                ..ChartSettings::default()
            }
        };
        self.picker = None;
        self.run = Some(view);
        self.screen = Screen::Run;
    }

    pub fn on_resize(&mut self, w: u16, h: u16) {
        self.size = (w, h);
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Option<Effect> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let b = keymap::resolve(&self.contexts(), &key)?;
        self.dispatch(b.ctx, b.action, key)
    }

    /// Where keys are looked up now, first match wins: a box that is shown takes every key
    /// but Ctrl-C; otherwise the screen's keys sit between the global ones.
    pub fn contexts(&self) -> Vec<Ctx> {
        let mut v = vec![Ctx::Always];
        match (&self.save_as, &self.download) {
            (Some(_), _) => v.push(Ctx::SaveAs),
            (None, _) if self.confirm.is_some() => v.push(Ctx::Confirm),
            (None, Some(Download::Offer { .. })) => v.push(Ctx::Offer),
            (None, Some(Download::Running(_))) => v.push(Ctx::Downloading),
            (None, None) if self.help.open => v.push(Ctx::Help),
            (None, None) if self.screen == Screen::Browser && self.browser.filtering => {
                v.push(Ctx::BrowserFilter)
            }
            (None, None) if self.picker.is_some() && self.screen == Screen::Run => {
                v.push(Ctx::Picker)
            }
            (None, None) => {
                v.push(Ctx::Global);
                v.extend(self.screen_contexts(false));
                v.push(Ctx::Fallback);
            }
        }
        v
    }

    /// The contexts of the current screen; `all` includes those of the fields that do not
    /// have the focus (for the help).
    pub fn screen_contexts(&self, all: bool) -> Vec<Ctx> {
        match self.screen {
            Screen::Menu => vec![Ctx::Menu],
            Screen::Form if all => vec![Ctx::Form, Ctx::FormChoice, Ctx::FormText],
            Screen::Form if self.form.focused_is_text() => vec![Ctx::FormText, Ctx::Form],
            Screen::Form => vec![Ctx::FormChoice, Ctx::Form],
            Screen::Run if all => vec![Ctx::Run, Ctx::Picker],
            Screen::Run => vec![Ctx::Run],
            Screen::Browser if all => vec![Ctx::Browser, Ctx::BrowserFilter],
            Screen::Browser => vec![Ctx::Browser],
            Screen::About => vec![Ctx::About],
        }
    }

    /// Carries out `action` of a binding of `ctx`; `key` is the key pressed (a digit, a
    /// typed character).
    fn dispatch(&mut self, ctx: Ctx, action: Action, key: KeyEvent) -> Option<Effect> {
        match (ctx, action) {
            (_, Action::Quit) => self.quit(),
            (_, Action::OpenHelp) => {
                self.help = Help::opened();
                None
            }
            (Ctx::Help, a) => {
                let (rows, page) = (self.help_rows().len(), self.help_page());
                self.help.handle(a, rows, page);
                None
            }
            (Ctx::SaveAs, a) => self.save_as_action(a, key),
            (Ctx::Confirm, a) => self.confirm_action(a),
            (Ctx::Picker, a) => {
                self.picker_action(a);
                None
            }
            (Ctx::Offer | Ctx::Downloading, a) => self.download_action(a),
            (Ctx::Menu, a) => self.menu_action(a),
            (Ctx::Form | Ctx::FormChoice | Ctx::FormText, a) => self.form_action(a, key),
            (Ctx::Run, a) => self.run_action(a, key),
            (Ctx::Browser, a) => self.browser_action(a),
            (Ctx::BrowserFilter, a) => {
                self.browser_filter_action(a, key);
                None
            }
            (Ctx::About, a) => self.about_action(a),
            (Ctx::Always | Ctx::Global | Ctx::Fallback, _) => None,
        }
    }

    /// Whether keys go into a text field.
    pub fn typing(&self) -> bool {
        self.save_as.is_some()
            || (self.screen == Screen::Form && self.form.focused_is_text())
            || (self.screen == Screen::Browser && self.browser.filtering)
    }

    fn quit(&mut self) -> Option<Effect> {
        self.quit = true;
        Some(Effect::Quit)
    }
}
