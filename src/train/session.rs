//! A session runs a config's jobs on a fixed number of trainer threads.

use std::collections::VecDeque;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::config::{JobSpec, RunConfig};
use super::events::{Control, Event, Status};
use super::worker::{self, Job};
use crate::data::Prepared;

/// Handle on running trainers: their events arrive on `events`, `control` steers them.
pub struct Session {
    pub events: Receiver<Event>,
    pub control: Arc<Control>,
    pub jobs: Vec<JobSpec>,
    threads: Vec<JoinHandle<()>>,
}

impl Session {
    /// Starts `config.parallel` trainer threads that take jobs in order. Each thread owns a
    /// one-thread rayon pool, so dfdx's matrix multiplies stay on that trainer's core.
    pub fn start(config: RunConfig, data: Arc<Prepared>) -> Self {
        let (tx, rx) = channel();
        let control = Arc::new(Control::default());
        let jobs = config.jobs();
        let queue = Arc::new(Mutex::new(jobs.iter().copied().collect::<VecDeque<_>>()));
        let config = Arc::new(config);
        let threads = (0..config.parallel.min(jobs.len()).max(1))
            .map(|i| {
                let (queue, config, data, tx, control) = (
                    queue.clone(),
                    config.clone(),
                    data.clone(),
                    tx.clone(),
                    control.clone(),
                );
                std::thread::Builder::new()
                    .name(format!("trainer-{i}"))
                    .spawn(move || trainer_thread(queue, config, data, tx, control))
                    .expect("spawning a trainer thread")
            })
            .collect();
        Self {
            events: rx,
            control,
            jobs,
            threads,
        }
    }

    /// Stops every trainer and waits for the threads to end.
    pub fn stop_and_join(mut self) {
        self.control.stop();
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }

    pub fn is_done(&self) -> bool {
        self.threads.iter().all(|t| t.is_finished())
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        self.control.stop();
    }
}

fn trainer_thread(
    queue: Arc<Mutex<VecDeque<JobSpec>>>,
    config: Arc<RunConfig>,
    data: Arc<Prepared>,
    events: Sender<Event>,
    control: Arc<Control>,
) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build();
    loop {
        let next = queue.lock().unwrap_or_else(|e| e.into_inner()).pop_front();
        let Some(spec) = next else { break };
        if control.is_stopped() {
            let _ = events.send(Event::Finished {
                id: spec.id,
                status: Status::Interrupted,
                step: 0,
                message: Some("stopped before it started".into()),
                elapsed_s: 0.0,
                samples_per_sec: 0.0,
            });
            continue;
        }
        let job = Job {
            spec,
            config: config.clone(),
            data: data.clone(),
            events: events.clone(),
            control: control.clone(),
        };
        let body = || {
            dfdx::flush_denormals_to_zero();
            worker::run(&job)
        };
        let result = catch_unwind(AssertUnwindSafe(|| match &pool {
            Ok(p) => p.install(body),
            Err(_) => body(),
        }));
        if let Err(panic) = result {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "trainer panicked".into());
            let _ = events.send(Event::Finished {
                id: spec.id,
                status: Status::Failed,
                step: 0,
                message: Some(format!("trainer panicked: {message}")),
                elapsed_s: 0.0,
                samples_per_sec: 0.0,
            });
        }
    }
}
