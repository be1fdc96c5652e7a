//! The UI's state and how keys, mouse clicks and trainer events change it. Everything here
//! is a plain function of the state and its input; what needs threads, files or the terminal
//! is returned as an [`Effect`] for the runtime (`tui.rs`) to carry out.

pub mod browser;
pub mod curves;
pub mod download;
pub mod form;
pub mod layout;
pub mod run_view;
pub mod save_as;

use std::path::PathBuf;

use crossterm::event::{
    KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseButton, MouseEvent, MouseEventKind,
};
use ratatui::layout::Rect;

use crate::data::fetch::{approx_download_mb, FetchError, FetchUpdate};
use crate::data::DatasetName;
use crate::presets::PRESETS;
use crate::runs::RunRecord;
use crate::train::{Event, RunConfig};

pub use browser::Browser;
pub use curves::XAxis;
pub use download::{Download, Transfer};
pub use form::Form;
pub use run_view::RunView;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Menu,
    Form,
    Run,
    Browser,
    About,
}

/// The views of the run screen, cycled with tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Curves,
    Signals,
    Internals,
    About,
}

impl View {
    pub const ALL: [View; 4] = [View::Curves, View::Signals, View::Internals, View::About];
    pub fn index(self) -> usize {
        Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
    }
}

/// What the runtime must do after a key.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    StartRun(Box<RunConfig>),
    Pause,
    Resume,
    Stop,
    Restart,
    Export,
    Quit,
    /// Load a saved run, optionally with a second one overlaid.
    OpenRun {
        dir: PathBuf,
        overlay: Option<PathBuf>,
    },
    ScanRuns,
    /// Download a dataset on a background thread.
    Fetch(DatasetName),
    CancelFetch,
    /// Warm the data of the current form's preset on `DatasetName` (after a download).
    LoadData(DatasetName),
    /// Write `report.md` for this run folder on a background thread.
    WriteReport(PathBuf),
    /// Save the current run into a new subfolder of this folder (after a failed save).
    SaveTo(PathBuf),
}

/// Chart settings.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChartSettings {
    /// EMA factor in [0, 0.99].
    pub smoothing: f64,
    /// Draw raw values instead of smoothed ones.
    pub raw: bool,
    pub x_axis: XAxis,
    pub log_loss: bool,
}

impl Default for ChartSettings {
    fn default() -> Self {
        Self {
            smoothing: 0.6,
            raw: false,
            x_axis: XAxis::Steps,
            log_loss: false,
        }
    }
}

/// What is known about the data.
#[derive(Debug, Clone, PartialEq)]
pub struct DataState {
    /// Preselected dataset: full MNIST when found, else mnist-5k.
    pub best: DatasetName,
    pub available: Vec<DatasetName>,
    /// One line shown when full MNIST is missing.
    pub note: Option<String>,
    /// Background loading status, e.g. "loading mnist-5k…" or "mnist-5k ready: …".
    pub status: String,
    pub loading: bool,
}

impl DataState {
    pub fn new(available: Vec<DatasetName>) -> Self {
        let best = if available.contains(&DatasetName::Mnist) {
            DatasetName::Mnist
        } else {
            DatasetName::Mnist5k
        };
        let note = (best != DatasetName::Mnist).then(|| {
            format!(
                "No full MNIST, so mnist-5k is used. Press d to download it ({} MB) or run `bnlab data fetch mnist`.",
                approx_download_mb(DatasetName::Mnist)
            )
        });
        Self {
            best,
            available,
            note,
            status: String::new(),
            loading: false,
        }
    }
}

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
    pub help: bool,
    /// First line of the help shown (it scrolls on small terminals).
    pub help_scroll: u16,
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
}

/// Menu entries after the presets.
pub const MENU_EXTRA: [&str; 2] = ["Saved runs", "About BatchNorm"];

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
            help: false,
            help_scroll: 0,
            about_scroll: 0,
            status: None,
            quit: false,
            runs_dir,
            log_path: None,
            download: None,
            save_as: None,
        }
    }

    pub fn menu_len(&self) -> usize {
        PRESETS.len() + MENU_EXTRA.len()
    }

    /// Folds a trainer event into the current run.
    pub fn on_event(&mut self, ev: &Event) {
        if let Some(r) = self.run.as_mut().filter(|r| r.live) {
            r.apply(ev);
        }
    }

    /// A run was started on `record`'s config: show it.
    pub fn run_started(&mut self, record: RunRecord) {
        self.run = Some(RunView::live(record));
        self.screen = Screen::Run;
        self.run_back = Screen::Menu;
        self.view = View::Curves;
        self.status = Some("training: space pause, s stop, e export, tab views, ? help".into());
    }

    pub fn run_opened(&mut self, view: RunView) {
        self.run = Some(view);
        self.screen = Screen::Run;
        self.run_back = Screen::Browser;
        self.view = View::Curves;
    }

    pub fn on_resize(&mut self, w: u16, h: u16) {
        self.size = (w, h);
    }

    fn area(&self) -> Rect {
        Rect::new(0, 0, self.size.0, self.size.1)
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Option<Effect> {
        if key.kind == KeyEventKind::Release {
            return None;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('q')) {
            return self.quit();
        }
        if self.save_as.is_some() {
            return self.save_as_key(key);
        }
        if self.download.is_some() {
            return self.download_key(key);
        }
        if self.help {
            match key.code {
                KeyCode::Char('q') => return self.quit(),
                KeyCode::Up | KeyCode::Char('k') => {
                    self.help_scroll = self.help_scroll.saturating_sub(1)
                }
                KeyCode::Down | KeyCode::Char('j') => {
                    self.help_scroll = (self.help_scroll + 1).min(40)
                }
                _ => self.help = false,
            }
            return None;
        }
        if key.code == KeyCode::Char('?') {
            self.help = true;
            self.help_scroll = 0;
            return None;
        }
        match self.screen {
            Screen::Menu => self.menu_key(key),
            Screen::Form => self.form_key(key),
            Screen::Run => self.run_key(key),
            Screen::Browser => self.browser_key(key),
            Screen::About => self.about_key(key),
        }
    }

    /// Whether keys go into a text field.
    pub fn typing(&self) -> bool {
        self.save_as.is_some() || (self.screen == Screen::Form && self.form.focused_is_text())
    }

    fn quit(&mut self) -> Option<Effect> {
        self.quit = true;
        Some(Effect::Quit)
    }

    fn open_menu_entry(&mut self) -> Option<Effect> {
        if self.menu < PRESETS.len() {
            self.form = Form::new(self.menu, self.data.best, &self.data.available);
            self.screen = Screen::Form;
            None
        } else if self.menu == PRESETS.len() {
            self.screen = Screen::Browser;
            Some(Effect::ScanRuns)
        } else {
            self.screen = Screen::About;
            self.about_scroll = 0;
            None
        }
    }

    fn menu_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let n = self.menu_len();
        match key.code {
            KeyCode::Up | KeyCode::Char('k') => self.menu = (self.menu + n - 1) % n,
            KeyCode::Down | KeyCode::Char('j') => self.menu = (self.menu + 1) % n,
            KeyCode::Home | KeyCode::Char('g') => self.menu = 0,
            KeyCode::End | KeyCode::Char('G') => self.menu = n - 1,
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => return self.open_menu_entry(),
            KeyCode::Char('b') => {
                self.screen = Screen::Browser;
                return Some(Effect::ScanRuns);
            }
            KeyCode::Char('a') => {
                self.screen = Screen::About;
                self.about_scroll = 0;
            }
            KeyCode::Tab | KeyCode::Char('v') if self.run.is_some() => self.screen = Screen::Run,
            KeyCode::Char('d') => self.offer_download(DatasetName::Mnist),
            KeyCode::Char('q') | KeyCode::Esc => return self.quit(),
            _ => {}
        }
        None
    }

    fn form_key(&mut self, key: KeyEvent) -> Option<Effect> {
        let text = self.form.focused_is_text();
        match key.code {
            KeyCode::Esc => self.screen = Screen::Menu,
            KeyCode::Up | KeyCode::BackTab => self.form.move_focus(-1),
            KeyCode::Down | KeyCode::Tab => self.form.move_focus(1),
            KeyCode::Char('k') if !text => self.form.move_focus(-1),
            KeyCode::Char('j') if !text => self.form.move_focus(1),
            KeyCode::Left
            | KeyCode::Right
            | KeyCode::Char('h')
            | KeyCode::Char('l')
            | KeyCode::Char(' ')
                if !text =>
            {
                let d = if matches!(key.code, KeyCode::Left | KeyCode::Char('h')) {
                    -1
                } else {
                    1
                };
                self.form.cycle(d);
                self.on_form_changed();
            }
            KeyCode::Backspace if text => self.form.backspace(),
            KeyCode::Char(c) if text => self.form.type_char(c),
            KeyCode::Char('q') => return self.quit(),
            KeyCode::Char('d') => {
                let ds = self.form_dataset();
                self.offer_download(ds);
            }
            KeyCode::Enter if self.downloadable_missing(self.form_dataset()) => {
                // The form keeps saying how to get the data, should the offer be declined.
                self.form.error = self.form.to_config(&self.data.available).err();
                self.offer_download(self.form_dataset());
            }
            KeyCode::Enter => match self.form.to_config(&self.data.available) {
                Ok(c) => {
                    self.form.error = None;
                    return Some(Effect::StartRun(Box::new(c)));
                }
                Err((i, msg)) => {
                    self.form.focus = i;
                    self.form.error = Some((i, msg));
                }
            },
            _ => {}
        }
        None
    }

    /// The dataset chosen in the form.
    pub fn form_dataset(&self) -> DatasetName {
        match self.form.field(form::FieldKey::Dataset).map(|f| &f.value) {
            Some(form::Value::Choice(_, i)) => [
                DatasetName::Mnist,
                DatasetName::FashionMnist,
                DatasetName::Mnist5k,
            ][(*i).min(2)],
            _ => self.form.base.dataset,
        }
    }

    fn downloadable_missing(&self, name: DatasetName) -> bool {
        approx_download_mb(name) > 0 && !self.data.available.contains(&name)
    }

    /// Asks whether to download `name`, when it is missing and can be downloaded.
    pub fn offer_download(&mut self, name: DatasetName) {
        if approx_download_mb(name) == 0 {
            self.status = Some(format!("{name} is built in: nothing to download"));
        } else if self.data.available.contains(&name) {
            self.status = Some(format!("{name} is already on this machine"));
        } else {
            self.download = Some(Download::Offer {
                name,
                mb: approx_download_mb(name),
            });
        }
    }

    fn download_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match self.download.as_mut()? {
            Download::Offer { name, .. } => {
                let name = *name;
                match key.code {
                    KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => {
                        self.download = Some(Download::Running(Transfer::new(name, None)));
                        self.status = Some(format!(
                            "downloading {}: Esc cancels",
                            download::title(name)
                        ));
                        return Some(Effect::Fetch(name));
                    }
                    KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => {
                        self.download = None;
                        self.status = Some(format!(
                            "{name} not downloaded; the embedded mnist-5k is always available"
                        ));
                    }
                    KeyCode::Char('q') => return self.quit(),
                    _ => {}
                }
            }
            Download::Running(t) => match key.code {
                KeyCode::Esc if !t.cancelling => {
                    t.cancelling = true;
                    self.status = Some("cancelling the download…".into());
                    return Some(Effect::CancelFetch);
                }
                KeyCode::Char('q') => return self.quit(),
                _ => {}
            },
        }
        None
    }

    /// The runtime started the download into `dir`.
    pub fn fetch_started(&mut self, dir: Option<PathBuf>) {
        if let Some(Download::Running(t)) = self.download.as_mut() {
            t.dir = dir;
        }
    }

    /// Folds a message of the download thread in; the end of a download may ask the runtime
    /// to load the new data.
    pub fn on_fetch_update(&mut self, update: FetchUpdate) -> Option<Effect> {
        match update {
            FetchUpdate::Progress(p) => {
                if let Some(Download::Running(t)) = self.download.as_mut() {
                    t.apply(&p);
                }
                None
            }
            FetchUpdate::Done(Ok(dir)) => self.on_fetch_done(Ok(dir), false),
            FetchUpdate::Done(Err(FetchError::Cancelled)) => {
                self.on_fetch_done(Err(FetchError::Cancelled.to_string()), true)
            }
            // Each mirror's reason, host first: the long advice of the full message would
            // push the reason off a status line (the log keeps it whole).
            FetchUpdate::Done(Err(FetchError::AllMirrorsFailed { file, reasons, .. })) => {
                let why: Vec<String> = reasons.iter().map(|r| download::short_reason(r)).collect();
                self.on_fetch_done(Err(format!("{file}: {}", why.join("; "))), false)
            }
            FetchUpdate::Done(Err(e)) => self.on_fetch_done(Err(e.to_string()), false),
        }
    }

    /// A download ended: on success the dataset becomes available and preselected; otherwise
    /// the form falls back to the embedded mnist-5k and the status line says why.
    pub fn on_fetch_done(
        &mut self,
        result: Result<PathBuf, String>,
        cancelled: bool,
    ) -> Option<Effect> {
        let Some(Download::Running(t)) = self.download.take() else {
            return None;
        };
        let name = t.name;
        let focus = self.form.focus;
        match result {
            Ok(dir) => {
                if !self.data.available.contains(&name) {
                    self.data.available.insert(0, name);
                }
                if name == DatasetName::Mnist {
                    self.data.best = DatasetName::Mnist;
                    self.data.note = None;
                }
                self.form = Form::new(self.form.preset, name, &self.data.available);
                self.form.focus = focus;
                self.status = Some(format!(
                    "{} installed in {} and selected",
                    download::title(name),
                    dir.display()
                ));
                Some(Effect::LoadData(name))
            }
            Err(e) => {
                self.form = Form::new(self.form.preset, DatasetName::Mnist5k, &self.data.available);
                self.form.focus = focus;
                self.status = Some(if cancelled {
                    "download cancelled, nothing kept; using the embedded mnist-5k".to_string()
                } else {
                    format!(
                        "download failed, using the embedded mnist-5k: {}",
                        download::one_line(&e)
                    )
                });
                None
            }
        }
    }

    /// Changing the dataset reloads the preset's settings for it (epochs depend on its size).
    fn on_form_changed(&mut self) {
        let ds = self.form_dataset();
        if ds != self.form.base.dataset {
            let focus = self.form.focus;
            self.form = Form::new(self.form.preset, ds, &self.data.available);
            self.form.focus = focus;
        }
    }

    fn run_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match key.code {
            KeyCode::Char('q') => return self.quit(),
            KeyCode::Esc => {
                self.screen = self.run_back;
                if self.run_back == Screen::Browser {
                    return Some(Effect::ScanRuns);
                }
                return None;
            }
            KeyCode::Tab => self.view = View::ALL[(self.view.index() + 1) % View::ALL.len()],
            KeyCode::BackTab => {
                self.view = View::ALL[(self.view.index() + View::ALL.len() - 1) % View::ALL.len()]
            }
            KeyCode::Char(c @ '1'..='4') => self.view = View::ALL[c as usize - '1' as usize],
            KeyCode::Char('x') => self.chart.x_axis = self.chart.x_axis.next(),
            KeyCode::Char('L') | KeyCode::Char('o') => self.chart.log_loss = !self.chart.log_loss,
            KeyCode::Char('w') => self.chart.raw = !self.chart.raw,
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.chart.smoothing =
                    ((self.chart.smoothing * 100.0).round() + 5.0).min(99.0) / 100.0
            }
            KeyCode::Char('-') => {
                self.chart.smoothing =
                    ((self.chart.smoothing * 100.0).round() - 5.0).max(0.0) / 100.0
            }
            _ => {}
        }
        let run = self.run.as_mut()?;
        match key.code {
            KeyCode::Char(' ') | KeyCode::Char('p') if run.is_running() => {
                run.paused = !run.paused;
                return Some(if run.paused {
                    Effect::Pause
                } else {
                    Effect::Resume
                });
            }
            KeyCode::Char('s') if run.is_running() => {
                run.stop_requested = true;
                run.paused = false;
                self.status =
                    Some("stopping: the run is saved when the trainers have stopped".into());
                return Some(Effect::Stop);
            }
            KeyCode::Char('r') if run.live => return Some(Effect::Restart),
            KeyCode::Char('e') => return Some(Effect::Export),
            KeyCode::Char('R') => {
                // The report reads the run folder, so only a finished, saved run has one.
                match (&run.saved_dir, run.is_running()) {
                    (Some(dir), false) => {
                        let dir = dir.clone();
                        self.status = Some(format!("writing the report for {}…", dir.display()));
                        return Some(Effect::WriteReport(dir));
                    }
                    (_, true) => self.status = Some(
                        "the report is written from a saved run: wait for the end or stop it (s)"
                            .into(),
                    ),
                    (None, false) => {
                        self.status =
                            Some("this run is not saved yet: press e to save it first".into())
                    }
                }
            }
            KeyCode::Char(']') | KeyCode::Char('n') => {
                run.follow_point = false;
                run.point = (run.point + 1).min(run.points().saturating_sub(1))
            }
            KeyCode::Char('[') | KeyCode::Char('N') => {
                run.follow_point = false;
                run.point = run.point.saturating_sub(1)
            }
            KeyCode::Up | KeyCode::Char('k') => run.layer = run.layer.saturating_sub(1).max(1),
            KeyCode::Down | KeyCode::Char('j') => {
                run.layer = (run.layer + 1).min(run.hidden_layers().max(1))
            }
            KeyCode::Char('u') => run.unit_bands = !run.unit_bands,
            KeyCode::Char('c') => run.overlay = None,
            _ => {}
        }
        None
    }

    fn browser_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match key.code {
            KeyCode::Esc | KeyCode::Left | KeyCode::Char('h') => self.screen = Screen::Menu,
            KeyCode::Char('q') => return self.quit(),
            KeyCode::Up | KeyCode::Char('k') => self.browser.move_by(-1),
            KeyCode::Down | KeyCode::Char('j') => self.browser.move_by(1),
            KeyCode::PageUp => self.browser.move_by(-10),
            KeyCode::PageDown => self.browser.move_by(10),
            KeyCode::Char(' ') | KeyCode::Char('m') => self.browser.toggle_mark(),
            KeyCode::Char('r') => return Some(Effect::ScanRuns),
            KeyCode::Char('R') => {
                let dir = self.browser.selected_dir()?.to_path_buf();
                self.status = Some(format!("writing the report for {}…", dir.display()));
                return Some(Effect::WriteReport(dir));
            }
            KeyCode::Tab | KeyCode::Char('v') if self.run.is_some() => self.screen = Screen::Run,
            KeyCode::Enter | KeyCode::Right | KeyCode::Char('l') => {
                let dir = self.browser.selected_dir()?.to_path_buf();
                let overlay = self.browser.overlay_dir().map(|p| p.to_path_buf());
                return Some(Effect::OpenRun { dir, overlay });
            }
            _ => {}
        }
        None
    }

    fn about_key(&mut self, key: KeyEvent) -> Option<Effect> {
        match key.code {
            KeyCode::Esc | KeyCode::Left | KeyCode::Char('h') => self.screen = Screen::Menu,
            KeyCode::Char('q') => return self.quit(),
            KeyCode::Up | KeyCode::Char('k') => {
                self.about_scroll = self.about_scroll.saturating_sub(1)
            }
            KeyCode::Down | KeyCode::Char('j') => {
                self.about_scroll = self.about_scroll.saturating_add(1).min(60)
            }
            _ => {}
        }
        None
    }

    pub fn on_mouse(&mut self, m: MouseEvent) -> Option<Effect> {
        if self.help {
            if matches!(m.kind, MouseEventKind::Down(_)) {
                self.help = false;
            }
            return None;
        }
        let area = self.area();
        match m.kind {
            MouseEventKind::Down(MouseButton::Left) => {}
            MouseEventKind::ScrollUp => return self.on_key(KeyEvent::from(KeyCode::Up)),
            MouseEventKind::ScrollDown => return self.on_key(KeyEvent::from(KeyCode::Down)),
            _ => return None,
        }
        let hit = |r: Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        match self.screen {
            Screen::Menu => {
                let list = layout::menu_list(area);
                if hit(list) {
                    let i =
                        (m.row - list.y) as usize + layout::scroll_offset(self.menu, list.height);
                    if i < self.menu_len() {
                        if i == self.menu {
                            return self.open_menu_entry();
                        }
                        self.menu = i;
                    }
                }
            }
            Screen::Browser => {
                let list = layout::browser_list(area);
                if hit(list) {
                    let i = (m.row - list.y) as usize
                        + layout::scroll_offset(self.browser.selected, list.height);
                    if i < self.browser.entries.len() {
                        if i == self.browser.selected {
                            return self.browser_key(KeyEvent::from(KeyCode::Enter));
                        }
                        self.browser.selected = i;
                    }
                }
            }
            Screen::Run if m.row == area.y => {
                for (i, (x, w)) in layout::tab_ranges(area).into_iter().enumerate() {
                    if m.column >= x && m.column < x + w {
                        self.view = View::ALL[i];
                    }
                }
            }
            Screen::Form => {
                // Fields are listed from the third line of the form box.
                let row = m.row as usize;
                if row >= 3 && row - 3 < self.form.fields.len() {
                    self.form.focus = row - 3;
                }
            }
            _ => {}
        }
        None
    }
}
