#!/usr/bin/env bash
# The test command (README): everything the tests need is set up here, then the full suite runs.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --all-targets
