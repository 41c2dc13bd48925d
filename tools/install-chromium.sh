#!/usr/bin/env bash
# Installs Debian's `chromium` package, which the browser tests (tests/e2e) drive through Playwright,
# unless /usr/bin/chromium is already there.
exec "$(dirname "$0")/debian-package.sh" chromium "the browser tests" test -x /usr/bin/chromium
