mod browser;
mod cli_hybrid;
mod cli_lexical;
mod corpus;
mod crash;
mod embed;
mod serve;
pub mod serve_util;
pub mod util;
