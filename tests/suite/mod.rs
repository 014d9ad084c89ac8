mod cli_lexical;
mod corpus;
pub mod util;
