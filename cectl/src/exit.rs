//! The exit codes, the same for every command (DESIGN §12), and [`Failure`], how a command
//! stops early with one of them.

/// How a command ended; the process exits with its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[repr(u8)]
pub enum Exit {
    /// 0: done; the thing checked is good.
    Ok = 0,
    /// 1: something failed that is not the input's fault (I/O, the network, an error answer).
    Error = 1,
    /// 2: a usage error: unknown flag or mode, an unreadable file, a malformed value.
    Usage = 2,
    /// 3: the thing checked is bad: an incompatible schema, a drifted schema directory, an
    /// invalid event, a signature that does not verify.
    Bad = 3,
    /// 4: the thing asked for does not exist (the gateway answered 404).
    NotFound = 4,
}

impl Exit {
    /// The exit of a command that did several things: the first failure that is not a
    /// "not found" wins over "not found", and any failure over success.
    pub fn worst(self, other: Self) -> Self {
        let rank = |e: Self| match e {
            Self::Ok => 0,
            Self::NotFound => 1,
            Self::Bad => 2,
            Self::Error => 3,
            Self::Usage => 4,
        };
        if rank(other) > rank(self) {
            other
        } else {
            self
        }
    }
}

/// The exit codes as help text, shown under every command's `--help`.
pub const EXIT_CODES: &str = "Exit codes: 0 ok, 1 error, 2 usage (bad flag, unreadable file), \
3 the thing checked is bad (incompatible, drifted, invalid, wrong signature), 4 not found.";

/// A command that stops: the message goes to stderr as `cectl: <message>`, the process exits
/// with `exit`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Failure {
    /// The exit code.
    pub exit: Exit,
    /// What went wrong, for people.
    pub message: String,
}

impl Failure {
    /// A failure with exit code `exit`.
    pub fn new(exit: Exit, message: impl Into<String>) -> Self {
        Self {
            exit,
            message: message.into(),
        }
    }

    /// A usage error (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        Self::new(Exit::Usage, message)
    }

    /// An error that is not the input's fault (exit 1).
    pub fn error(message: impl Into<String>) -> Self {
        Self::new(Exit::Error, message)
    }

    /// The thing checked is bad (exit 3).
    pub fn bad(message: impl Into<String>) -> Self {
        Self::new(Exit::Bad, message)
    }
}

impl From<Exit> for Failure {
    fn from(exit: Exit) -> Self {
        Self::new(exit, String::new())
    }
}

/// What a command returns: how it ended, or a [`Failure`] to report.
pub type Outcome = Result<Exit, Failure>;
