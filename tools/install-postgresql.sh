#!/usr/bin/env bash
# Installs Debian's `postgresql` package, whose server binaries (/usr/lib/postgresql/<major>/bin) the
# scale-out proof (tests/integration/test_scale_out.py, tools/load/run.py --system-postgres) runs as a
# private throwaway cluster, unless they are already there. The system-wide cluster the package sets up
# is never used.
exec "$(dirname "$0")/debian-package.sh" postgresql "the scale-out proof" \
  bash -c 'compgen -G "/usr/lib/postgresql/*/bin/pg_ctl"'
