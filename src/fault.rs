//! What kind of failure an error is: the one vocabulary every module's error maps to.
//!
//! Each module keeps its own `thiserror` enum and says, in one exhaustive `kind()` match,
//! which [`ErrorKind`] each variant is. The CLI turns a kind into an exit code
//! ([`ErrorKind::exit_code`]) and the server into an HTTP status (`server::error`), each in a
//! single match, so the two front ends can never disagree about whose fault an error is.
//!
//! This module imports nothing from the crate, so every module can use it without reaching
//! for the crate root.

/// Who has to act on an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// The input, configuration or environment given by the user is wrong; the message says what to fix.
    User,
    /// Something inside envkb failed; details are logged, not shown to remote users.
    Internal,
}

/// The kind of an error, from which exit codes and HTTP statuses follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A malformed request: a query, filter or command-line value that cannot be parsed (400).
    BadRequest,
    /// Well-formed input that cannot be used as it is: a bad question, file or option (422).
    BadInput,
    /// A file type envkb does not read (415).
    Unsupported,
    /// Input over one of envkb's size limits; the message names the limit that applied (413).
    TooLarge,
    /// Something the caller named does not exist (404).
    NotFound,
    /// The request clashes with the current state (409).
    Conflict,
    /// Too much work in flight; retrying shortly will work (429).
    Busy,
    /// A part of the service cannot run now (another writer, a remote model); retry later (503).
    Unavailable,
    /// The operator's set-up is wrong: no index, no model, an index of another format. The person
    /// running envkb fixes it (exit 2); a remote caller cannot, so the server hides the detail (500).
    Setup,
    /// A bug or an I/O failure inside envkb (exit 1, HTTP 500 with the detail in the log only).
    Internal,
}

impl ErrorKind {
    /// Every kind, for tests that walk them all.
    pub const ALL: [ErrorKind; 10] = [
        ErrorKind::BadRequest,
        ErrorKind::BadInput,
        ErrorKind::Unsupported,
        ErrorKind::TooLarge,
        ErrorKind::NotFound,
        ErrorKind::Conflict,
        ErrorKind::Busy,
        ErrorKind::Unavailable,
        ErrorKind::Setup,
        ErrorKind::Internal,
    ];

    /// Whose move it is.
    pub fn fault(self) -> Fault {
        match self {
            ErrorKind::Internal => Fault::Internal,
            ErrorKind::BadRequest
            | ErrorKind::BadInput
            | ErrorKind::Unsupported
            | ErrorKind::TooLarge
            | ErrorKind::NotFound
            | ErrorKind::Conflict
            | ErrorKind::Busy
            | ErrorKind::Unavailable
            | ErrorKind::Setup => Fault::User,
        }
    }

    /// The process exit status of the CLI: 2 for what the user can fix, 1 for our failures.
    pub fn exit_code(self) -> i32 {
        match self.fault() {
            Fault::User => 2,
            Fault::Internal => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_internal_failures_exit_with_1() {
        for kind in ErrorKind::ALL {
            let expected = if kind == ErrorKind::Internal { 1 } else { 2 };
            assert_eq!(kind.exit_code(), expected, "{kind:?}");
        }
    }
}
