#!/usr/bin/env bash
# Fetch pinned copies of the JavaScript the built book needs, so that it renders offline.
#
#   require.js 2.3.6   AMD loader used by the ipywidgets HTML manager
#   d3 5.7.0           bertviz's drawing library (the version bertviz's JS asks for)
#   jQuery 2.1.0       bertviz's DOM helper (bertviz asks for 2.0.0, which is not on npm)
#   @jupyter-widgets/html-manager 1.0.15   renders saved ipywidgets state (ipywidgets 8.1)
#   MathJax 3.2.2      es5/ combined components (tex-mml-chtml.js) and its fonts
#   axe-core 4.14.1    accessibility audit run by the browser test (assets/axe/, not in the book)
#
# Each package comes from the npm registry with `npm pack` (tarball only, no install, no
# scripts run); its sha512 integrity is checked against the pin below. Files land in
# assets/vendor/ (git-ignored); assets/vendor/.fetched marks success (see the Makefile).
# Without npm (or without the registry) the script warns and exits 0: the book then
# loads these files from public CDNs and is NOT readable offline. Under `make test`
# (BERTBOOK_REQUIRE_ALL=1) it fails instead.
set -euo pipefail
cd "$(dirname "$0")/.."
DEST=assets/vendor
STAMP=$DEST/.fetched

PINS=(
  "requirejs@2.3.6 sha512-ipEzlWQe6RK3jkzikgCupiTbTvm4S0/CAU5GlgptkN5SO6F3u0UD0K18wy6ErDqiCyP4J4YYe1HuAShvsxePLg=="
  "d3@5.7.0 sha512-8KEIfx+dFm8PlbJN9PI0suazrZ41QcaAufsKE9PRcqYPWLngHIyWJZX96n6IQKePGgeSu0l7rtlueSSNq8Zc3g=="
  "jquery@2.1.0 sha512-QyJAvw0LUlUPci88C5LTFNtg4WFs70Dkqmwq4rZyOBflduKnHZakpIIDjhZVygAQbUqaghv6msUyP5TmRoNevQ=="
  "@jupyter-widgets/html-manager@1.0.15 sha512-5thBIV6ymNgmPVOHvzx+gGy8ZSKmSazhtGw4/c4xJDVzRhG9PTeQsRjF3FUTopvFi//SABeNz1yp47bCrJ3CQA=="
  "mathjax@3.2.2 sha512-Bt+SSVU8eBG27zChVewOicYs7Xsdt40qm4+UpHyX7k0/O9NliPc+x77k1/FEsPsjKPZGJvtRZM1vO+geW0OhGw=="
  "axe-core@4.14.1 sha512-FHfa+lmNjQZfJz1q8wKqIDwC6DExcHt/pkjNQb09a3NPjCKg2rhu5qb2S4r76ASyFNNtuFooJpZe37OgudVGtQ=="
)

warn() {
  echo "" >&2
  echo "WARNING: $*" >&2
  echo "WARNING: the book will load require.js, d3, jQuery, the widget manager and MathJax" >&2
  echo "WARNING: from public CDNs and will NOT render offline. Install npm and rerun" >&2
  echo "WARNING: 'bash scripts/fetch_assets.sh' (or 'make assets') to fix this." >&2
  rm -f "$STAMP"
  # `make test` (and so CI) sets BERTBOOK_REQUIRE_ALL=1: a book that needs CDNs must not pass
  [ "${BERTBOOK_REQUIRE_ALL:-0}" = "1" ] && { echo "ERROR: offline assets are required here" >&2; exit 1; }
  exit 0
}

command -v npm >/dev/null 2>&1 || warn "npm not found."

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

for pin in "${PINS[@]}"; do
  spec=${pin% *}
  want=${pin#* }
  name=${spec%@*}
  echo "fetching $spec"
  json=$( cd "$TMP" && npm pack "$spec" --json --silent 2>"$TMP/npm.err" ) \
    || warn "npm pack $spec failed: $(tail -n 3 "$TMP/npm.err")"
  got=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["integrity"])')
  file=$(printf '%s' "$json" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["filename"])')
  [ "$got" = "$want" ] || { echo "ERROR: $spec integrity $got != pinned $want" >&2; exit 1; }
  mkdir -p "$TMP/x/$name"
  tar -xzf "$TMP/$file" -C "$TMP/x/$name"
done

rm -rf "$DEST"
mkdir -p "$DEST/html-manager" "$DEST/mathjax"
X=$TMP/x
cp "$X/requirejs/package/require.js" "$DEST/require.min.js"  # npm ships the readable build only
cp "$X/d3/package/dist/d3.min.js" "$DEST/d3.min.js"
cp "$X/jquery/package/dist/jquery.min.js" "$DEST/jquery.min.js"
# the AMD bundle plus the Font Awesome files its CSS refers to
cp "$X/@jupyter-widgets/html-manager/package/dist/embed-amd.js" "$DEST/html-manager/"
# The manager typesets widget labels with the MathJax 2 API (MathJax.Hub.Queue), which throws
# under the book's MathJax 3: call MathJax 3's typesetPromise instead when there is no Hub.
python3 - "$DEST/html-manager/embed-amd.js" <<'PY'
import re, sys
path = sys.argv[1]
src = open(path, encoding="utf-8").read()
pattern = re.compile(r'MathJax\.Hub\.Queue\(\["Typeset",MathJax\.Hub,(\w+)\]\)')
new, n = pattern.subn(r'(window.MathJax.Hub?MathJax.Hub.Queue(["Typeset",MathJax.Hub,\1])'
                      r':window.MathJax.typesetPromise&&MathJax.typesetPromise([\1]))', src)
if n == 0:
    sys.exit("embed-amd.js: MathJax 2 call not found; update the patch in fetch_assets.sh")
open(path, "w", encoding="utf-8").write(new)
print(f"patched {n} MathJax 2 call(s) in embed-amd.js")
PY
find "$X/@jupyter-widgets/html-manager/package/dist" -maxdepth 1 \
  \( -name '*.woff2' -o -name '*.woff' -o -name '*.ttf' -o -name '*.eot' -o -name '*.svg' \) \
  -exec cp {} "$DEST/html-manager/" \;
cp -r "$X/mathjax/package/es5/." "$DEST/mathjax/"
# the book uses CHTML output only: drop the SVG and Node builds (about 13 MB)
( cd "$DEST/mathjax" && rm -rf output/svg output/svg.js ./*svg*.js node-main.js tex-chtml-full*.js )
# the audit script for tests/test_browser.py: a test tool, kept out of the book's _static/
rm -rf assets/axe && mkdir -p assets/axe
cp "$X/axe-core/package/axe.min.js" "$X/axe-core/package/LICENSE" assets/axe/
for lic in requirejs d3 jquery @jupyter-widgets/html-manager mathjax; do
  f=$(ls "$X/$lic/package/" | grep -i -m1 'licen[sc]e' || true)
  [ -n "$f" ] && cp "$X/$lic/package/$f" "$DEST/LICENSE.$(basename "$lic")"
done

printf '%s\n' "${PINS[@]}" > "$STAMP"
echo "offline assets ready in $DEST ($(du -sh "$DEST" | cut -f1))"
