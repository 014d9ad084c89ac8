mod cli_lexical;
mod corpus;
mod embed;
pub mod util;
