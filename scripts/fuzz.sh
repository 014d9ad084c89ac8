#!/usr/bin/env bash
# Coverage-guided fuzzing of the PDF and DOCX loaders with cargo-fuzz (libFuzzer), for a
# bounded time per target (docs/BENCHMARKS.md, "PDF and DOCX ingestion").
#
#   bash scripts/fuzz.sh            # 300 s per target
#   SECS=60 bash scripts/fuzz.sh pdf_loader
#
# Installs cargo-fuzz if missing. The toolchain here is stable, so RUSTC_BOOTSTRAP=1 lets it
# use the sanitizer flags. Seeds: the test fixtures. A crash stops the run and leaves its
# input in fuzz/artifacts/TARGET/; fix it and keep the input in
# tests/fixtures/pdf/regressions/, which every `cargo test` run loads.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
SECS="${SECS:-300}"
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=(pdf_loader docx_loader)
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
export RUSTC_BOOTSTRAP=1
for t in "${targets[@]}"; do
  case "$t" in
    pdf_loader) seeds=(tests/fixtures/pdf/*.pdf tests/fixtures/pdf/regressions/*) ;;
    docx_loader) seeds=(tests/fixtures/pdf/*.docx) ;;
    *) echo "fuzz.sh: unknown target $t (pdf_loader, docx_loader)" >&2; exit 2 ;;
  esac
  corpus="fuzz/corpus/$t"
  mkdir -p "$corpus"
  for s in "${seeds[@]}"; do [ -f "$s" ] && cp -n "$s" "$corpus/" || true; done
  echo "== $t for $SECS s"
  (cd fuzz && cargo fuzz run "$t" "corpus/$t" -- -max_total_time="$SECS" -timeout=20 -rss_limit_mb=4096 -print_final_stats=1)
done
