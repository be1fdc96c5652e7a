//! A mistake in what the user asked for, as opposed to a failure while doing it: the command
//! line maps it to exit code 2 and prints it naming the flag, file or item at fault.

/// A usage error already phrased for the user, naming what they typed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{what}: {message}")]
pub struct UsageError {
    /// The flag, file or item at fault, as the user would recognise it.
    pub what: String,
    pub message: String,
}

impl UsageError {
    pub fn new(what: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            what: what.into(),
            message: message.into(),
        }
    }
}
