mod cli_hybrid;
mod cli_lexical;
mod corpus;
mod crash;
mod embed;
mod pdf_fuzz;
mod pdf_ingest;
pub mod util;
