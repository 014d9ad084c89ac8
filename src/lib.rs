//! envkb: knowledge-base search and cited answers for environmental regulation.
/// Subcommands. (Wired inline on the `embed` branch only; the CLI owner's
/// `src/cli/mod.rs` replaces this block at merge.)
pub mod cli {
    pub mod embed;
}
pub mod embed;
pub mod error;
pub use error::{Error, Fault, Result};
