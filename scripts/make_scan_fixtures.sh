#!/usr/bin/env bash
# Regenerates the scanned-PDF fixtures in tests/fixtures/scans/ from our own made-up text in
# tests/fixtures/scans/src/*.txt (paragraphs separated by blank lines, pages by a line
# `<<<page>>>`), with Debian's tools:
#   chromium          the text as an HTML page -> a PDF with a text layer (real Persian shaping)
#   poppler-utils     pdftoppm: that PDF -> page images at 300 and 150 dpi
#   python3-pil       the 150 dpi copy: skewed, speckled and stamped like an office scan
#   img2pdf           page images -> an image-only PDF, without re-encoding them
# For each NAME.txt it writes NAME-300.pdf (300 dpi, clean, 1-bit CCITT G4 like a photocopier
# scan) and NAME-150-noisy.pdf (150 dpi grey JPEG, 1.5° skew, speckle noise, a round stamp).
# The generated files are committed; CI does not run this script (the tests only read them).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--install" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends chromium poppler-utils python3-pil img2pdf \
    fonts-farsiweb fonts-dejavu-core >/dev/null
fi
for tool in chromium pdftoppm img2pdf /usr/bin/python3; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run $0 --install (as root)" >&2; exit 2; }
done
/usr/bin/python3 -c 'import PIL' 2>/dev/null || { echo "missing python3-pil: run $0 --install" >&2; exit 2; }
src=tests/fixtures/scans/src
out=tests/fixtures/scans
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export SOURCE_DATE_EPOCH=1700000000

for txt in "$src"/*.txt; do
  name="$(basename "$txt" .txt)"
  # Persian text right to left in a Naskh face of the kind gazettes use; English in a serif.
  /usr/bin/python3 - "$txt" "$work/$name.html" <<'PY'
import html, sys
text = open(sys.argv[1], encoding="utf-8").read()
rtl = any("\u0600" <= c <= "\u06ff" for c in text)
font = '"Nazli", "Noto Naskh Arabic", serif' if rtl else '"DejaVu Serif", serif'
pages = []
for page in text.split("<<<page>>>\n"):
    paras = [p for p in page.strip().split("\n\n") if p.strip()]
    body = "".join(
        "<p>%s</p>" % "<br>".join(html.escape(line) for line in p.split("\n")) for p in paras)
    pages.append('<section>%s</section>' % body)
css = ("@page { size: A4; margin: 25mm 22mm; } body { font-family: %s; font-size: %s; "
       "line-height: 1.7; text-align: justify; } p { margin: 0 0 0.8em; } "
       "section { break-after: page; } section:last-child { break-after: auto; }"
       % (font, "15pt" if rtl else "12pt"))
open(sys.argv[2], "w", encoding="utf-8").write(
    '<!doctype html><html lang="%s" dir="%s"><meta charset="utf-8"><style>%s</style><body>%s</body></html>'
    % ("fa" if rtl else "en", "rtl" if rtl else "ltr", css, "".join(pages)))
PY
  chromium --headless --no-sandbox --disable-gpu --no-pdf-header-footer \
    --print-to-pdf="$work/$name.pdf" "file://$work/$name.html" 2>/dev/null
  pdftoppm -r 300 -gray "$work/$name.pdf" "$work/$name-300"
  pdftoppm -r 150 -gray "$work/$name.pdf" "$work/$name-150"
  /usr/bin/python3 - "$work" "$name" <<'PY'
import glob, math, random, sys
from PIL import Image, ImageDraw, ImageFilter
work, name = sys.argv[1], sys.argv[2]
rng = random.Random(name)  # the same degradations on every run
for i, path in enumerate(sorted(glob.glob(f"{work}/{name}-300-*.pgm"))):
    # Clean: 1-bit at 300 dpi, stored as CCITT G4 (what a photocopier's scan-to-PDF does).
    im = Image.open(path).point(lambda v: 255 if v > 160 else 0).convert("1")
    im.save(f"{work}/{name}-300-{i:02}.tif", compression="group4", dpi=(300, 300))
for i, path in enumerate(sorted(glob.glob(f"{work}/{name}-150-*.pgm"))):
    im = Image.open(path).convert("L")
    w, h = im.size
    # A page fed a little crooked.
    im = im.rotate(1.5 if i % 2 == 0 else -1.2, resample=Image.BICUBIC, fillcolor=235)
    # Grey paper and toner speckle.
    px = im.load()
    for _ in range(w * h // 1500):
        x, y = rng.randrange(w), rng.randrange(h)
        px[x, y] = rng.choice((40, 90, 140))
    im = im.point(lambda v: min(v, 236))
    # A round office stamp in blue-grey ink over the lower text, and a smudge of toner.
    stamp = Image.new("L", (w, h), 0)
    d = ImageDraw.Draw(stamp)
    cx, cy, r = int(w * 0.7), int(h * 0.58), int(w * 0.11)
    d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=150, width=6)
    d.ellipse((cx - r + 18, cy - r + 18, cx + r - 18, cy + r - 18), outline=120, width=3)
    for k in range(24):
        a = 2 * math.pi * k / 24
        d.ellipse((cx + (r - 10) * math.cos(a) - 3, cy + (r - 10) * math.sin(a) - 3,
                   cx + (r - 10) * math.cos(a) + 3, cy + (r - 10) * math.sin(a) + 3), fill=130)
    bx, by = int(w * 0.18), int(h * 0.86)
    d.ellipse((bx, by, bx + 70, by + 38), fill=110)
    stamp = stamp.filter(ImageFilter.GaussianBlur(1.2))
    im = Image.composite(Image.new("L", (w, h), 95), im, stamp)
    im = im.filter(ImageFilter.GaussianBlur(0.4))
    im.save(f"{work}/{name}-150-{i:02}.jpg", quality=45, dpi=(150, 150))
PY
  img2pdf --producer "" --creationdate "" --moddate "" -o "$out/$name-300.pdf" "$work/$name"-300-*.tif
  img2pdf --producer "" --creationdate "" --moddate "" -o "$out/$name-150-noisy.pdf" "$work/$name"-150-*.jpg
  ls -l "$out/$name-300.pdf" "$out/$name-150-noisy.pdf"
done
