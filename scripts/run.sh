#!/usr/bin/env bash
# Runs helloserver and loadgen side by side, as `make run` does: one terminal,
# both logs interleaved with a prefix, and Ctrl-C stopping both cleanly (each
# service drains on SIGINT/SIGTERM and prints its final lines).
set -euo pipefail

BIN=${BIN:-"$(cd "$(dirname "$0")/.." && pwd)/bin"}
PORT=${PORT:-8080}
LOADGEN_PORT=${LOADGEN_PORT:-8081}
RPS=${RPS:-5}
SERVER_ADDR=${SERVER_ADDR:-"http://127.0.0.1:${PORT}/"}

if [ "$PORT" = "$LOADGEN_PORT" ]; then
  echo "run.sh: PORT and LOADGEN_PORT are both ${PORT}; set LOADGEN_PORT to a free port" >&2
  exit 2
fi

# The prefixers ignore Ctrl-C so they keep copying the services' shutdown
# lines until the services close their output.
prefix() { trap '' INT TERM; sed -u "s/^/$1 | /"; }

# Each service runs in its own session, so Ctrl-C reaches only this script,
# which forwards exactly one SIGTERM (a second Ctrl-C forwards another, and
# the services then exit at once instead of draining).
pids=()
signals=0
stop() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
}
on_signal() { signals=$((signals + 1)); stop; }
trap on_signal INT TERM

# Text logs read better in a terminal; both services default to JSON.
LOG_FORMAT=${LOG_FORMAT:-text} PORT="$PORT" \
  setsid "$BIN/helloserver" > >(prefix "helloserver") 2>&1 &
pids+=($!)

# loadgen's first requests retry nothing: wait until the server is ready.
for _ in $(seq 1 50); do
  if (exec 3<>"/dev/tcp/127.0.0.1/${PORT}") 2>/dev/null; then break; fi
  sleep 0.1
done

LOG_FORMAT=${LOG_FORMAT:-text} PORT="$LOADGEN_PORT" SERVER_ADDR="$SERVER_ADDR" REQUESTS_PER_SECOND="$RPS" \
  setsid "$BIN/loadgen" > >(prefix "loadgen    ") 2>&1 &
pids+=($!)

echo "run.sh: helloserver on :${PORT}, loadgen at ${RPS} rps (admin :${LOADGEN_PORT}); Ctrl-C stops both" >&2

# Wait for both; if either exits on its own, stop the other. `wait` returns
# early when a trap runs, so keep waiting until each service has exited.
wait -n "${pids[@]}" || true
if [ "$signals" -eq 0 ]; then stop; fi
status=0
for pid in "${pids[@]}"; do
  rc=0; wait "$pid" || rc=$?
  while kill -0 "$pid" 2>/dev/null; do rc=0; wait "$pid" || rc=$?; done
  if [ "$rc" -ne 0 ]; then status=$rc; fi
done
exit "$status"
