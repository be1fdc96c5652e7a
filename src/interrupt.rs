//! Stop signals for the commands that run long (`run`, `data fetch`): caught from the start,
//! so none is lost while data loads, and told apart so the exit code says which came
//! (130 for SIGINT, 143 for SIGTERM, as shells report a process killed by them).

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// Set by SIGINT, SIGTERM and (unless ignored at start, as under `nohup`) SIGHUP.
#[derive(Debug, Clone)]
pub struct StopFlag {
    pub flag: Arc<AtomicBool>,
    which: Arc<AtomicUsize>,
}

impl StopFlag {
    /// Installs the handlers. Called first thing by the commands that honour them: a
    /// process started in the background by a shell has SIGINT ignored until then.
    pub fn install() -> std::io::Result<Self> {
        let s = Self {
            flag: Arc::default(),
            which: Arc::default(),
        };
        for sig in stop_signals() {
            signal_hook::flag::register_usize(sig, s.which.clone(), sig as usize)?;
            signal_hook::flag::register(sig, s.flag.clone())?;
        }
        Ok(s)
    }

    pub fn is_set(&self) -> bool {
        self.flag.load(Ordering::SeqCst)
    }

    /// What to report once the work has stopped: the signal that came, if any.
    pub fn interrupted(&self) -> Option<Interrupted> {
        self.is_set().then(|| Interrupted {
            signal: self.which.load(Ordering::SeqCst) as i32,
        })
    }
}

/// The work was stopped by a signal; the exit code is 128 + the signal's number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("interrupted by {}", signal_name(*.signal))]
pub struct Interrupted {
    pub signal: i32,
}

impl Interrupted {
    pub fn exit_code(self) -> u8 {
        u8::try_from(128 + self.signal.clamp(1, 127)).unwrap_or(130)
    }
}

pub fn signal_name(sig: i32) -> &'static str {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    match sig {
        SIGINT => "SIGINT (Ctrl-C)",
        SIGTERM => "SIGTERM",
        SIGHUP => "SIGHUP (terminal closed)",
        _ => "a signal",
    }
}

/// The signals that stop a run and save it as interrupted. SIGHUP too: closing the terminal
/// (or its tmux session) must not lose the run; but not when SIGHUP was ignored at start, as
/// `nohup bnlab run …` arranges, since then the user wants the run to outlive the terminal.
pub fn stop_signals() -> Vec<i32> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let mut v = vec![SIGINT, SIGTERM];
    if !ignored_at_start(SIGHUP) {
        v.push(SIGHUP);
    }
    v
}

/// Whether `sig` is ignored by this process, from the `SigIgn` mask of /proc/self/status
/// (Linux). Elsewhere it counts as not ignored.
pub fn ignored_at_start(sig: i32) -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("SigIgn:"))
        .and_then(|h| u64::from_str_radix(h.trim(), 16).ok())
        .is_some_and(|mask| sig >= 1 && mask & (1u64 << (sig - 1)) != 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        use signal_hook::consts::{SIGINT, SIGTERM};
        assert_eq!(Interrupted { signal: SIGINT }.exit_code(), 130);
        assert_eq!(Interrupted { signal: SIGTERM }.exit_code(), 143);
    }
}
