//! Asking before work is lost: a box that holds the effect a key asked for until the user
//! says yes. Restarting throws the run in training away; starting or opening another run
//! interrupts it (it is saved first, but the training stops).

use super::{Action, App, Effect};

#[derive(Debug, Clone, PartialEq)]
pub struct Confirm {
    pub title: &'static str,
    pub lines: Vec<String>,
    /// What happens on yes.
    pub yes: Effect,
}

impl App {
    /// `effect` now, or a confirmation box first when it would discard or interrupt a run.
    pub(super) fn guarded(&mut self, effect: Effect) -> Option<Effect> {
        let Some(run) = self.run.as_ref().filter(|r| r.live) else {
            return Some(effect);
        };
        let running = run.is_running();
        let (title, lines) = match &effect {
            Effect::Restart if running => (
                "Restart?",
                vec![
                    "The run in training is thrown away: nothing of it is saved.".into(),
                    "It starts again from step 0 with the same settings.".into(),
                ],
            ),
            Effect::Restart if !run.saved_final => (
                "Restart?",
                vec!["This run is not saved: it is lost on restart (e saves it).".into()],
            ),
            Effect::StartRun(c) if running => (
                "Stop the run in training?",
                vec![
                    format!(
                        "{} is still training. It is saved as interrupted,",
                        run.label
                    ),
                    format!("then {} starts.", c.preset),
                ],
            ),
            Effect::OpenRun { .. } if running => (
                "Stop the run in training?",
                vec![
                    format!(
                        "{} is still training. It is saved as interrupted,",
                        run.label
                    ),
                    "then the saved run opens.".into(),
                ],
            ),
            _ => return Some(effect),
        };
        self.confirm = Some(Confirm {
            title,
            lines,
            yes: effect,
        });
        None
    }

    pub(super) fn confirm_action(&mut self, action: Action) -> Option<Effect> {
        let c = self.confirm.take()?;
        match action {
            Action::Accept => Some(c.yes),
            _ => {
                self.status = Some("nothing changed".into());
                None
            }
        }
    }
}
