//! The `envkb` binary: parse arguments, run, map errors to exit codes
//! (0 success, 2 a problem the user can fix, 1 an internal failure).

use clap::Parser;
use envkb::cli::{run, Cli};
use envkb::{Error, Fault};

fn main() {
    let cli = Cli::parse();
    if let Err(err) = run(cli) {
        let fault = err
            .downcast_ref::<Error>()
            .map_or(Fault::Internal, Error::fault);
        eprintln!("error: {err}");
        std::process::exit(match fault {
            Fault::User => 2,
            Fault::Internal => 1,
        });
    }
}
