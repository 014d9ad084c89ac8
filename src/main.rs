//! The `envkb` binary: parse arguments, run, map errors to exit codes
//! (0 success, 2 a problem the user can fix, 1 an internal failure).

use clap::Parser;
use envkb::cli::{run, Cli};
use envkb::{Error, ErrorKind};

fn main() {
    let cli = Cli::parse();
    if let Err(err) = run(cli) {
        // The one place an error becomes an exit code: its kind, as the module decided.
        let kind = err
            .downcast_ref::<Error>()
            .map_or(ErrorKind::Internal, Error::kind);
        eprintln!("error: {err}");
        std::process::exit(kind.exit_code());
    }
}
