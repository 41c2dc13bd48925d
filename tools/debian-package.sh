#!/usr/bin/env bash
# debian-package.sh PACKAGE PURPOSE CHECK...
# Installs Debian's PACKAGE with apt-get (as root, or through sudo otherwise) unless the command
# CHECK... already succeeds, and fails with a clear message when it still does not afterwards.
# The install-*.sh scripts name what each package is for and how to tell it is there.
set -euo pipefail

package=$1
purpose=$2
shift 2
if "$@" >/dev/null 2>&1; then
  exit 0
fi

fail() {
  echo "install $package: $*" >&2
  echo "install $package: $purpose needs Debian's $package package; install it yourself," >&2
  echo "install $package: e.g. 'sudo apt-get install --no-install-recommends $package'." >&2
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

echo "install $package: installing Debian's $package package (for $purpose)"
"${as_root[@]+"${as_root[@]}"}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
  || fail "apt-get update failed."
"${as_root[@]+"${as_root[@]}"}" env DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "$package" \
  || fail "apt-get install $package failed."
"$@" >/dev/null 2>&1 || fail "the package is installed, but '$*' still fails."
