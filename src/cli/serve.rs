//! `envkb serve`: the HTTP service and web page over an index.
//!
//! Owns turning flags and `ENVKB_*` variables into a checked [`ServeConfig`], opening the
//! index (created empty when absent, so documents can be uploaded), loading the model,
//! starting logging and the tokio runtime. The service itself is `crate::server`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::llm::LlmArgs;
use super::Cli;
use crate::engine::Engine;
use crate::lexical::LexicalIndex;
use crate::server::{Access, ApiKeys, Limits, ServeConfig};
use crate::text::AnalyzerOptions;
use crate::Error;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port; the bound address is printed).
    #[arg(long, env = "ENVKB_ADDR", default_value = "127.0.0.1:8080")]
    pub addr: SocketAddr,
    /// A file of API keys, one `role:key` per line (roles: reader, editor, admin).
    #[arg(long, env = "ENVKB_KEYS_FILE")]
    pub keys: Option<PathBuf>,
    /// API keys as comma-separated `role:key` pairs (set it in the environment, not on
    /// the command line, where other users can see it).
    #[arg(long = "api-keys", env = "ENVKB_API_KEYS", hide_env_values = true)]
    pub api_keys: Option<String>,
    /// Let anyone search and read without a key (writes always need an editor key).
    #[arg(long, env = "ENVKB_OPEN_READ")]
    pub open_read: bool,
    /// Requests doing model or index work at once; more get 429 with Retry-After.
    #[arg(long, env = "ENVKB_MAX_CONCURRENCY", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub max_concurrency: u16,
    /// Seconds a search or read may take before it is answered 503.
    #[arg(long, env = "ENVKB_TIMEOUT_SECS", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub timeout_secs: u64,
    /// Largest uploaded file, in MiB.
    #[arg(long, env = "ENVKB_UPLOAD_LIMIT_MB", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=32))]
    pub upload_limit_mb: u64,
    /// Largest JSON request body, in KiB.
    #[arg(long, env = "ENVKB_BODY_LIMIT_KB", default_value_t = 64, value_parser = clap::value_parser!(u64).range(1..=16384))]
    pub body_limit_kb: u64,
    /// Seconds a client may take to send a request's headers, and an open connection may
    /// sit idle, before it is closed.
    #[arg(long, env = "ENVKB_HEADER_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub header_timeout_secs: u64,
    /// Seconds a request body may stall (no bytes arriving) before the request gets 408.
    #[arg(long, env = "ENVKB_BODY_IDLE_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=600))]
    pub body_idle_secs: u64,
    /// Open connections at once; more are answered 503 and closed.
    #[arg(long, env = "ENVKB_MAX_CONNECTIONS", default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections: u32,
    /// Longest query or question, in characters.
    #[arg(long, env = "ENVKB_MAX_QUERY_CHARS", default_value_t = 1000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub max_query_chars: u64,
    /// The language model: a local GGUF file (--llm-gguf, also served at
    /// /v1/chat/completions) or a remote endpoint (--llm-url).
    #[command(flatten)]
    pub llm: LlmArgs,
}

/// Parsed flags → a checked configuration (a bad keys file is one clear line, exit 2).
pub fn resolve(cli: &Cli, args: &ServeArgs) -> Result<ServeConfig, Error> {
    let mut keys = ApiKeys::default();
    if let Some(file) = &args.keys {
        let text = std::fs::read_to_string(file).map_err(|e| {
            Error::Usage(format!("cannot read the keys file {}: {e}", file.display()))
        })?;
        keys.add_from(&text, &file.display().to_string())
            .map_err(Error::Usage)?;
    }
    if let Some(list) = &args.api_keys {
        keys.add_from(list, "ENVKB_API_KEYS")
            .map_err(Error::Usage)?;
    }
    let limits = Limits {
        body_bytes: (args.body_limit_kb * 1024) as usize,
        upload_bytes: (args.upload_limit_mb * 1024 * 1024) as usize,
        query_chars: args.max_query_chars as usize,
        timeout: Duration::from_secs(args.timeout_secs),
        model_concurrency: usize::from(args.max_concurrency),
        header_timeout: Duration::from_secs(args.header_timeout_secs),
        body_idle: Duration::from_secs(args.body_idle_secs),
        max_connections: args.max_connections as usize,
        ..Limits::default()
    };
    Ok(ServeConfig {
        addr: args.addr,
        index_dir: cli.index.clone(),
        access: Access {
            keys,
            open_read: args.open_read,
        },
        limits,
        require_model: !cli.model.no_model,
        llm: args.llm.resolve()?,
    })
}

pub fn run(cli: &Cli, args: &ServeArgs) -> anyhow::Result<()> {
    let config = resolve(cli, args)?;
    init_logging();
    if config.access.keys.is_empty() && !config.access.open_read {
        eprintln!("warning: no API keys and reading is not open: every API call will be refused; give --keys, ENVKB_API_KEYS or --open-read");
    }
    let vacant = crate::lexical::dir::inspect(&cli.index).map_err(Error::from)?
        == crate::lexical::dir::DirState::Vacant;
    // A folder with files but no index is refused here, never replaced by an empty index.
    let index = LexicalIndex::open_or_create(&cli.index, AnalyzerOptions::default())
        .map_err(Error::from)?;
    if vacant {
        eprintln!(
            "note: no index at {}; starting with an empty one (upload documents, or run `envkb index`)",
            cli.index.display()
        );
    }
    // Damage inside segment files would otherwise show up as panics or wrong results.
    index.verify().map_err(Error::from)?;
    let model = super::model::load_for(&cli.model, &cli.index);
    if let Err(why) = &model {
        eprintln!("warning: no embedding model ({why}); serving lexical search only");
    }
    let engine = Engine::with_index(index, model);
    if let (Some(_), Some(why)) = (&engine.model, &engine.semantic_unavailable) {
        eprintln!("warning: {why}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("envkb-http")
        .build()
        .map_err(|e| Error::Internal(format!("cannot start the async runtime: {e}")))?;
    runtime.block_on(crate::server::serve(config, engine))?;
    Ok(())
}

/// Request logs on stderr; `RUST_LOG` changes the level (default `info`). Coloured only on a
/// terminal without `NO_COLOR`, so a log written to a file has no escape codes.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(super::output::color_on(&std::io::stderr()))
        .with_target(false)
        .try_init();
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[test]
    fn flags_and_keys_resolve_into_a_config() {
        let cli = Cli::try_parse_from([
            "envkb",
            "--index",
            "idx",
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--open-read",
            "--api-keys",
            "editor:0123456789abcdef0123",
            "--max-concurrency",
            "2",
        ])
        .unwrap();
        let super::super::Command::Serve(args) = &cli.command else {
            panic!("serve parses");
        };
        let c = resolve(&cli, args).unwrap();
        assert_eq!(c.addr.port(), 0);
        assert!(c.access.open_read);
        assert_eq!(c.access.keys.len(), 1);
        assert_eq!(c.limits.model_concurrency, 2);
        assert_eq!(c.index_dir, PathBuf::from("idx"));
    }

    #[test]
    fn a_bad_key_list_is_a_usage_error() {
        let cli = Cli::try_parse_from(["envkb", "serve", "--api-keys", "editor:tiny-k3y"]).unwrap();
        let super::super::Command::Serve(args) = &cli.command else {
            panic!("serve parses");
        };
        let e = resolve(&cli, args).unwrap_err();
        assert_eq!(e.fault(), crate::Fault::User);
        assert!(
            !e.to_string().contains("tiny-k3y"),
            "the key is not echoed: {e}"
        );
    }
}
