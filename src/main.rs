//! The envkb binary. (Minimal wiring on the `embed` branch; the CLI owner's version
//! replaces it at merge.)
use clap::Parser;

#[derive(Parser)]
#[command(name = "envkb", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Print E5 embeddings of texts as JSON.
    Embed(envkb::cli::embed::EmbedArgs),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Embed(args) => envkb::cli::embed::run(args),
    };
    if let Err(e) = result {
        eprintln!("envkb: {e:#}");
        let user = e
            .downcast_ref::<envkb::embed::EmbedError>()
            .is_some_and(|e| e.fault() == envkb::Fault::User);
        std::process::exit(if user { 2 } else { 1 });
    }
}
