//! The runtime's state, loading data (with a small cache) and running the trainers'
//! session; saving is in `saving`. Every thread it starts reports through the one channel
//! (`events::Msg`); nothing here waits for a thread.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::Arc;
use std::time::Instant;

use crate::app::{App, FieldKey, FormError, RunView};
use crate::data::fetch::FetchHandle;
use crate::data::{source, DatasetName, Prepared};
use crate::runs::RunRecord;
use crate::train::{RunConfig, Session};

use super::events::{self, DataKey, JobError, Msg};

/// A session that was stopped while its run trained: the run is saved, marked interrupted,
/// once its trainers have reported where they stopped.
pub(super) struct Retiring {
    pub id: u64,
    /// The run, once `app.run` shows another one (until then it is `app.run`).
    pub view: Option<RunView>,
}

pub(super) struct Runtime {
    pub data_dir: Option<PathBuf>,
    pub tx: Sender<Msg>,
    pub loading: Option<DataKey>,
    cache: Vec<(DataKey, Arc<Prepared>)>,
    /// A run waiting for its data.
    pub pending: Option<RunConfig>,
    /// The session training now and its id.
    pub session: Option<(u64, Session)>,
    next_id: u64,
    /// The session whose run `app.run` shows.
    pub shown: Option<u64>,
    /// Sessions whose trainers are still running, current or retiring.
    pub alive: Vec<u64>,
    pub retiring: Vec<Retiring>,
    /// Folders written during this UI session, printed after the restore.
    pub saved: Vec<PathBuf>,
    /// Panics of other threads, printed after the restore (the last 20).
    pub panics: Vec<String>,
    /// A dataset download on its own thread.
    pub fetch: Option<FetchHandle>,
    pub reports_running: usize,
    /// Saves under way on their threads.
    pub saves_running: usize,
    /// The shown run's session while a save of it is under way.
    pub saving_shown: Option<u64>,
    /// A save of the shown run asked for while one is under way: done after it.
    pub save_again: Option<(&'static str, Option<PathBuf>)>,
    /// On the way out saves run here, not on a thread.
    pub closing: bool,
    /// A single step while paused: the trainers that still have to log once before the
    /// session is paused again.
    pub step_once: Option<Vec<crate::train::JobId>>,
}

fn key_of(c: &RunConfig) -> DataKey {
    (c.dataset, c.split.clone())
}

impl Runtime {
    pub fn new(data_dir: Option<PathBuf>, tx: Sender<Msg>) -> Self {
        Self {
            data_dir,
            tx,
            loading: None,
            cache: Vec::new(),
            pending: None,
            session: None,
            next_id: 0,
            shown: None,
            alive: Vec::new(),
            retiring: Vec::new(),
            saved: Vec::new(),
            panics: Vec::new(),
            fetch: None,
            reports_running: 0,
            saves_running: 0,
            saving_shown: None,
            save_again: None,
            closing: false,
            step_once: None,
        }
    }

    /// Whether a thread is working for the UI (the frame tick then keeps running).
    pub fn busy(&self) -> bool {
        self.loading.is_some()
            || self.fetch.is_some()
            || self.reports_running > 0
            || self.saves_running > 0
            || !self.alive.is_empty()
    }

    /// Loads `config`'s data on a thread; `Msg::Loaded` brings it.
    pub fn load(&mut self, config: &RunConfig, app: &mut App) {
        let key = key_of(config);
        if self.loading.as_ref() == Some(&key) {
            return;
        }
        self.loading = Some(key.clone());
        app.data.loading = true;
        app.data.status = format!("loading {}…", config.dataset);
        let (tx, dir, config) = (self.tx.clone(), self.data_dir.clone(), config.clone());
        let spawned = std::thread::Builder::new()
            .name("bnlab-loader".into())
            .spawn(move || {
                let t0 = Instant::now();
                let result =
                    panic::catch_unwind(AssertUnwindSafe(|| config.prepare_data(dir.as_deref())));
                let result = match result {
                    Ok(Ok(p)) => Ok(Arc::new(p)),
                    Ok(Err(e)) => Err(JobError::from(e)),
                    Err(_) => Err(JobError::Panicked("data loader")),
                };
                let secs = t0.elapsed().as_secs_f64();
                let _ = tx.send(Msg::Loaded { key, result, secs });
            });
        if let Err(e) = spawned {
            app.data.loading = false;
            app.data.status = format!("cannot start the data loader: {e}");
            self.loading = None;
        }
    }

    /// Data arrived: cache it, and start the run that waited for it.
    pub fn loaded(
        &mut self,
        app: &mut App,
        key: DataKey,
        result: Result<Arc<Prepared>, JobError>,
        secs: f64,
    ) {
        if self.loading.as_ref() == Some(&key) {
            self.loading = None;
            app.data.loading = false;
        }
        let waiting = self.pending.as_ref().is_some_and(|c| key_of(c) == key);
        match result {
            Ok(p) => {
                app.data.status = format!(
                    "{} ready: {} train / {} val / {} test ({secs:.1} s)",
                    p.name,
                    p.train.len(),
                    p.val.len(),
                    p.test.len(),
                );
                log::info!("{}", app.data.status);
                self.cache.retain(|(k, _)| k != &key);
                self.cache.push((key, p.clone()));
                if self.cache.len() > 2 {
                    self.cache.remove(0);
                }
                if let Some(c) = self.pending.take().filter(|_| waiting) {
                    self.start_session(c, p, app);
                }
            }
            Err(e) => {
                log::warn!("data: {e}");
                let e = e.to_string();
                app.data.status = "data could not be loaded".into();
                app.status = Some(e.lines().next().unwrap_or("").to_string());
                if waiting {
                    self.pending = None;
                    app.form.error = Some(FormError::at(FieldKey::Dataset, e));
                }
            }
        }
    }

    fn cached(&self, key: &DataKey) -> Option<Arc<Prepared>> {
        self.cache
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, p)| p.clone())
    }

    /// Starts `config` now if its data is ready, else once it is.
    pub fn start(&mut self, config: RunConfig, app: &mut App) {
        self.retire(app, true);
        match self.cached(&key_of(&config)) {
            Some(data) => self.start_session(config, data, app),
            None => {
                self.load(&config, app);
                app.status = Some(format!(
                    "preparing {} — training starts when it is loaded",
                    config.dataset
                ));
                self.pending = Some(config);
            }
        }
    }

    fn start_session(&mut self, config: RunConfig, data: Arc<Prepared>, app: &mut App) {
        log::info!(
            "starting {} on {} ({} jobs)",
            config.preset,
            config.dataset,
            config.jobs().len()
        );
        let record = RunRecord::new(config.clone(), crate::runs::DataInfo::of(&data));
        let mut session = Session::start(config, data);
        let id = self.next_id;
        self.next_id += 1;
        events::forward_session(&mut session, id, self.tx.clone());
        self.alive.push(id);
        self.session = Some((id, session));
        self.detach_shown(app);
        app.run_started(record);
        self.shown = Some(id);
    }

    /// `app.run` is about to show another run: a retiring one keeps its own copy.
    pub fn detach_shown(&mut self, app: &mut App) {
        if let Some(id) = self.shown.take() {
            if let Some(r) = self.retiring.iter_mut().find(|r| r.id == id) {
                r.view = app.run.take();
            }
        }
    }

    /// Ends the current session. A run still training is saved as interrupted when `save`,
    /// once its trainers have stopped (`TrainDone`); the UI does not wait for them.
    pub fn retire(&mut self, app: &mut App, save: bool) {
        self.pending = None;
        let Some((id, session)) = self.session.take() else {
            return;
        };
        session.control.stop();
        let running = app.run.as_ref().is_some_and(|r| r.is_running());
        if save && running && self.shown == Some(id) {
            self.retiring.push(Retiring { id, view: None });
        }
    }
}

/// Datasets that can be loaded without downloading.
pub(crate) fn available_datasets(data_dir: Option<&Path>) -> Vec<DatasetName> {
    // --data-dir names one folder of MNIST-style files: it counts as full MNIST, and
    // Fashion-MNIST only counts when found in its own standard places.
    source::ALL_DATASETS
        .into_iter()
        .filter(|&d| match d {
            DatasetName::Mnist => source::locate(d, data_dir).is_some(),
            DatasetName::FashionMnist => source::locate(d, None).is_some(),
            DatasetName::Mnist5k => true,
        })
        .collect()
}
