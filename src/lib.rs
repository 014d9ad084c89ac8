//! envkb: knowledge-base search and cited answers for environmental regulation.
pub mod embed;
pub mod error;
pub use error::{Error, Fault, Result};
