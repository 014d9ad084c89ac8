mod answer;
mod cli_hybrid;
mod cli_lexical;
mod corpus;
mod crash;
mod embed;
mod exercises;
pub mod util;
