#!/usr/bin/env bash
# Debian's chromium for tests/test_browser.py (Playwright drives it; its own browser download
# is not used). Installs only when missing and when running as root; otherwise explains.
# Under `make test` (BERTBOOK_REQUIRE_ALL=1) a missing chromium is an error, not a skip.
set -euo pipefail
CHROMIUM=/usr/bin/chromium
missing() {
  if [ "${BERTBOOK_REQUIRE_ALL:-0}" = "1" ]; then echo "ERROR: chromium is required here" >&2; exit 1; fi
  exit 0
}
if [ -x "$CHROMIUM" ]; then
  echo "chromium present: $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "NOTICE: $CHROMIUM is missing and this is not root, so it cannot be installed here." >&2
  echo "NOTICE: install it with 'sudo apt-get install chromium' (Debian/Ubuntu); until then the" >&2
  echo "NOTICE: browser tests (pytest -m browser) are skipped." >&2
  missing
fi
if ! command -v apt-get >/dev/null 2>&1; then
  echo "NOTICE: no apt-get on this system: install a Chromium at $CHROMIUM to run the browser tests." >&2
  missing
fi
echo "installing Debian's chromium (apt-get)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq chromium >/dev/null
echo "chromium installed: $("$CHROMIUM" --version 2>/dev/null | head -n 1)"
