//! The `envkb` binary: parse arguments, run, map errors to exit codes
//! (0 success, 2 a problem the user can fix, 1 an internal failure).

use clap::Parser;
use envkb::cli::{run, Cli, Command};
use envkb::{Error, ErrorKind};

fn main() {
    let cli = Cli::parse();
    if !matches!(cli.command, Command::Serve(_)) {
        quiet_on_closed_pipe();
    }
    if let Err(err) = run(cli) {
        // The one place an error becomes an exit code: its kind, as the module decided.
        let kind = err
            .downcast_ref::<Error>()
            .map_or(ErrorKind::Internal, Error::kind);
        eprintln!("error: {err}");
        std::process::exit(kind.exit_code());
    }
}

/// A CLI command piped into `head` ends quietly when the pipe closes, as Unix tools do,
/// instead of panicking in `println!` (Rust ignores SIGPIPE by default). The server keeps
/// ignoring it: a client closing its socket must never stop it.
#[cfg(unix)]
fn quiet_on_closed_pipe() {
    // SAFETY: called once at start-up, before any thread exists; SIG_DFL is a valid handler.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

#[cfg(not(unix))]
fn quiet_on_closed_pipe() {}
