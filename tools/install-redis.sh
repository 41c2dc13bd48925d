#!/usr/bin/env bash
# Installs Debian's `redis-server` package, which the Redis queue tests (tests/integration/test_redis_queue.py,
# the Redis run of tests/integration/test_scale_out.py) start as a private instance, unless redis-server is
# already on the PATH. The system-wide instance the package may start is never used.
exec "$(dirname "$0")/debian-package.sh" redis-server "the Redis queue tests" bash -c 'command -v redis-server'
