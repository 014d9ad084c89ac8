#!/usr/bin/env bash
# Regenerates the PDF and DOCX fixtures in tests/fixtures/pdf/ from the Markdown in
# tests/fixtures/pdf/src/, with real document tools from Debian's packages:
#   pandoc              Markdown -> DOCX and Markdown -> HTML
#   LibreOffice         DOCX -> PDF (the Persian PDFs, with a running header and page numbers)
#   WeasyPrint          HTML + CSS -> PDF (the two-column English PDF; its Persian text layer
#                       is broken in Debian 12's version, so it makes no Persian fixture)
#   qpdf, poppler-utils an encrypted copy and an image-only ("scanned") PDF
# The generated files are committed; CI does not run this script (the tests only read them).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "--install" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends pandoc libreoffice-writer-nogui \
    fonts-farsiweb fonts-noto-core weasyprint poppler-utils qpdf >/dev/null
fi
for tool in pandoc soffice weasyprint qpdf pdftoppm; do
  command -v "$tool" >/dev/null || { echo "missing $tool: run $0 --install (as root)" >&2; exit 2; }
done
src=tests/fixtures/pdf/src
out=tests/fixtures/pdf
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Fixed dates and ids in the generated files, so a rerun changes as little as possible.
export SOURCE_DATE_EPOCH=1700000000

# CSS for the WeasyPrint PDFs: a running header and a page number on every page, so the
# loader's header/footer removal has something real to remove.
cat >"$work/print.css" <<'CSS'
@page { size: A4; margin: 22mm 18mm;
  @top-center { content: string(doctitle); font-size: 9pt; }
  @bottom-center { content: counter(page); font-size: 9pt; } }
body { font-family: "Noto Naskh Arabic", "DejaVu Sans", sans-serif; font-size: 11pt; line-height: 1.5; }
h1 { string-set: doctitle content(); font-size: 18pt; }
h2 { font-size: 14pt; }
table { border-collapse: collapse; margin: 1em 0; }
td, th { border: 1px solid #444; padding: 3pt 8pt; }
.page-break { break-after: page; }
header#title-block-header { display: none; }
CSS
cat >"$work/two-column.css" <<'CSS'
body { font-family: "DejaVu Serif", serif; font-size: 10pt; text-align: justify; }
main { columns: 2; column-gap: 10mm; }
CSS

html() { # md -> standalone HTML with the print CSS (and extra CSS in $3)
  local css=(--css "$work/print.css")
  [ -n "${3:-}" ] && css+=(--css "$3")
  pandoc "$1" -s --metadata pagetitle=x "${css[@]}" -o "$2"
}

# A pandoc reference DOCX with a running header and a "page N" footer on every page (the
# loader's header/footer removal needs something real to remove); pandoc keeps a reference
# document's header and footer parts, and the section properties that show them on every
# page are added to each generated DOCX afterwards (`with_header_footer`).
pandoc -o "$work/default-ref.docx" --print-default-data-file reference.docx
python3 - "$work/default-ref.docx" "$work/ref.docx" "$work/sect.xml" <<'PY'
import sys, zipfile
W = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
run = lambda t: '<w:r><w:rPr><w:rtl/></w:rPr><w:t xml:space="preserve">%s</w:t></w:r>' % t
header = '<w:hdr %s><w:p><w:pPr><w:bidi/><w:jc w:val="center"/></w:pPr>%s</w:p></w:hdr>' % (W, run("نسخه آموزشی برای کارگاه محیط زیست"))
footer = ('<w:ftr %s><w:p><w:pPr><w:bidi/><w:jc w:val="center"/></w:pPr>%s'
          '<w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText>PAGE</w:instrText></w:r>'
          '<w:r><w:fldChar w:fldCharType="separate"/></w:r><w:r><w:t>1</w:t></w:r>'
          '<w:r><w:fldChar w:fldCharType="end"/></w:r></w:p></w:ftr>') % (W, run("صفحه "))
sect = ('<w:sectPr><w:headerReference w:type="default" r:id="rIdHdr1"/>'
        '<w:footerReference w:type="default" r:id="rIdFtr1"/>'
        '<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" '
        'w:left="1440" w:header="708" w:footer="708" w:gutter="0"/><w:bidi/></w:sectPr>')
rel = ('<Relationship Id="rIdHdr1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/header" Target="header1.xml"/>'
       '<Relationship Id="rIdFtr1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/footer" Target="footer1.xml"/>')
ct = ('<Override PartName="/word/header1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.header+xml"/>'
      '<Override PartName="/word/footer1.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.footer+xml"/>')
src, dst = zipfile.ZipFile(sys.argv[1]), zipfile.ZipFile(sys.argv[2], "w", zipfile.ZIP_DEFLATED)
for item in src.infolist():
    data = src.read(item.filename).decode("utf-8")
    if item.filename == "word/_rels/document.xml.rels":
        data = data.replace("</Relationships>", rel + "</Relationships>")
    elif item.filename == "[Content_Types].xml":
        data = data.replace("</Types>", ct + "</Types>")
    dst.writestr(item, data)
dst.writestr("word/header1.xml", header)
dst.writestr("word/footer1.xml", footer)
dst.close()
open(sys.argv[3], "w").write(sect)
PY
with_header_footer() { # adds the section properties (header, footer, RTL page) and RTL tables to DOCX $1
  python3 - "$1" "$work/sect.xml" <<'PY'
import os, re, sys, zipfile
path, sect = sys.argv[1], open(sys.argv[2]).read()
R = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
src = zipfile.ZipFile(path)
# pandoc renumbers the reference document's relationships: point at the ids it chose.
rels = src.read("word/_rels/document.xml.rels").decode("utf-8")
for part, placeholder in (("header1.xml", "rIdHdr1"), ("footer1.xml", "rIdFtr1")):
    rel = re.search(r'<Relationship[^>]*Target="%s"[^>]*>' % part, rels).group(0)
    sect = sect.replace(placeholder, re.search(r'Id="([^"]+)"', rel).group(1))
tmp = path + ".tmp"
dst = zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED)
for item in src.infolist():
    data = src.read(item.filename)
    if item.filename == "word/document.xml":
        text = data.decode("utf-8")
        if R not in text:
            text = text.replace("<w:document ", "<w:document %s " % R, 1)
        # Persian documents lay tables out right to left (first column on the right).
        text = text.replace("<w:tblPr>", "<w:tblPr><w:bidiVisual />")
        if "<w:sectPr />" in text:  # pandoc writes an empty one when the reference has none
            text = text.replace("<w:sectPr />", sect)
        else:
            text = text.replace("</w:body>", sect + "</w:body>")
        data = text.encode("utf-8")
    dst.writestr(item, data)
dst.close()
os.replace(tmp, path)
PY
}

# The Persian fixtures: DOCX by pandoc, PDF from that DOCX by LibreOffice.
# fa-simple: a law-like text over three pages; mixed: Persian with English, digits, a table.
for name in fa-simple mixed; do
  pandoc "$src/$name.md" --reference-doc "$work/ref.docx" -o "$out/$name.docx"
  with_header_footer "$out/$name.docx"
  soffice --headless --norestore --convert-to pdf --outdir "$work" "$out/$name.docx" >/dev/null 2>&1
  cp "$work/$name.pdf" "$out/$name.pdf"
done

# The law fixture (tests/fixtures/laws/talab.pdf): a made-up law whose article, تبصره and
# بند markers are plain paragraphs, printed by LibreOffice like the Persian fixtures above.
pandoc "$src/law-wetlands.md" -M dir=rtl --reference-doc "$work/ref.docx" -o "$work/law-wetlands.docx"
with_header_footer "$work/law-wetlands.docx"
soffice --headless --norestore --convert-to pdf --outdir "$work" "$work/law-wetlands.docx" >/dev/null 2>&1
cp "$work/law-wetlands.pdf" tests/fixtures/laws/talab.pdf

# en-two-column: English in two columns by WeasyPrint (the body wrapped in <main>).
pandoc "$src/en-two-column.md" -s --metadata pagetitle=x --css "$work/print.css" \
  --css "$work/two-column.css" -o "$work/en.html"
python3 - "$work/en.html" <<'PY'
import re, sys
p = sys.argv[1]
s = open(p, encoding="utf-8").read()
# The title stays full width; the articles flow in two columns.
s = re.sub(r"(<h1 id=[^>]*>.*?</h1>)", r"\1<main>", s, count=1, flags=re.S).replace("</body>", "</main></body>")
open(p, "w", encoding="utf-8").write(s)
PY
weasyprint -q "$work/en.html" "$out/en-two-column.pdf"

# Skipped-file fixtures: an encrypted copy (user password "secret") and a scan-like PDF
# whose only page is a picture of mixed.pdf's first page (no text layer).
qpdf --encrypt secret owner-secret 256 -- "$out/fa-simple.pdf" "$out/encrypted.pdf"
pdftoppm -r 40 -f 1 -l 1 -png "$out/mixed.pdf" "$work/scan"
cat >"$work/scan.html" <<HTML
<html><body style="margin:0"><img src="$(ls "$work"/scan*.png | head -1)" style="width:100%"></body></html>
HTML
weasyprint -q "$work/scan.html" "$out/scanned.pdf"
ls -l "$out"
