mod cli_lexical;
pub mod util;
