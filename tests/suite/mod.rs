mod cli_hybrid;
mod cli_lexical;
mod corpus;
mod embed;
pub mod util;
