//! envkb: knowledge-base search and cited answers for environmental regulation.
//!
//! Data flows one way: [`text`] normalizes and analyzes Persian and English; [`ingest`]
//! loads files and cuts them into structure-aware chunks; [`lexical`] keeps them in a
//! tantivy index and answers BM25 queries; [`embed`] runs the multilingual-e5-small
//! encoder on the CPU; [`vector`] keeps one embedding per chunk and answers cosine
//! top-k queries; [`search`] fuses lexical and semantic rankings; [`eval`] scores
//! retrieval on question sets; [`engine`] holds an opened index, model and vectors together;
//! [`answer`] turns a question into a short answer with verified citations; [`exercises`]
//! builds trainers' exercise sets from the index;
//! [`cli`] drives it all from the command line; [`server`] serves it over HTTP with the web
//! page from [`ui`]. [`cancel`] lets the server stop a request's blocking work once nobody
//! waits for it.

// Every public item says what it is for; `cargo clippy -- -D warnings` makes this an error.
#![warn(missing_docs)]

pub mod answer;
pub mod cancel;
pub mod cli;
pub mod embed;
pub mod engine;
pub mod error;
pub mod eval;
pub mod exercises;
pub mod fault;
pub mod indexer;
pub mod ingest;
pub mod lexical;
pub mod search;
pub mod server;
pub mod text;
pub mod ui;
pub mod vector;

pub use error::{Error, ErrorKind, Fault, Result};
