#!/usr/bin/env bash
# Installs Debian's `chromium` package, which the browser tests (tests/e2e) drive through Playwright,
# unless /usr/bin/chromium is already there. Runs apt-get as root, or through sudo otherwise.
set -euo pipefail

CHROMIUM=/usr/bin/chromium
if [ -x "$CHROMIUM" ]; then
  exit 0
fi

fail() {
  echo "install-chromium: $*" >&2
  echo "install-chromium: the browser tests need $CHROMIUM; install Debian's chromium package yourself," >&2
  echo "install-chromium: e.g. 'sudo apt-get install --no-install-recommends chromium'." >&2
  exit 1
}

if ! command -v apt-get >/dev/null 2>&1; then
  fail "apt-get is not available on this system."
fi
if [ "$(id -u)" -eq 0 ]; then
  as_root=()
elif command -v sudo >/dev/null 2>&1; then
  as_root=(sudo)
else
  fail "not running as root and sudo is not installed."
fi

echo "install-chromium: installing Debian's chromium package (for the browser tests)"
"${as_root[@]+"${as_root[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
  || fail "apt-get update failed."
"${as_root[@]+"${as_root[@]}"}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends chromium \
  || fail "apt-get install chromium failed."
[ -x "$CHROMIUM" ] || fail "the chromium package did not provide $CHROMIUM."
