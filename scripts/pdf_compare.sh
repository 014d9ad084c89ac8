#!/usr/bin/env bash
# The PDF extraction comparison of docs/BENCHMARKS.md ("PDF and DOCX ingestion"): word-order
# match on the fixtures for envkb's own extraction, the pdf-extract crate and lopdf's
# extract_text, with and without envkb's line repair.
#
#   bash scripts/pdf_compare.sh
#
# pdf-extract is built apart, in tools/pdf-dump (its own workspace), and only dumps its text
# to target/pdf-compare/; the scoring runs in examples/pdf_compare.rs.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out=target/pdf-compare
cargo build --release --quiet --manifest-path tools/pdf-dump/Cargo.toml --target-dir target/pdf-dump
target/pdf-dump/release/pdf-dump "$out" tests/fixtures/pdf/{fa-simple,mixed,en-two-column}.pdf >/dev/null
cargo run --quiet --example pdf_compare -- "$out"
