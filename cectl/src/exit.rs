//! The exit codes, the same for every command (DESIGN §12).

/// How a command ended; the process exits with its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Exit {
    /// 0: done; the thing checked is good.
    Ok = 0,
    /// 1: something failed that is not the input's fault (I/O, the network).
    Error = 1,
    /// 2: a usage error: unknown flag or mode, an unreadable file.
    Usage = 2,
    /// 3: the thing checked is bad: an incompatible schema, a drifted schema directory, an
    /// invalid event.
    Bad = 3,
    /// 4: the thing asked for does not exist.
    NotFound = 4,
}

/// The exit codes as help text, shown under every command's `--help`.
pub const EXIT_CODES: &str = "Exit codes: 0 ok, 1 error, 2 usage (bad flag, unreadable file), \
3 the thing checked is bad (incompatible, drifted, invalid), 4 not found.";
