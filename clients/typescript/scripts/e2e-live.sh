#!/usr/bin/env bash
# `make ts-client-e2e`: the API on a free loopback port with a scratch SQLite file (migrated
# by `serve --migrate`) and a throwaway JWT secret, then `npm run e2e` against it with
# COACH_API_URL set; the server is stopped and the scratch folder removed however it ends.
# Run from the repository root; needs .venv (make install) and clients/typescript's
# node_modules (npm ci).
set -euo pipefail

root=$(pwd)
bin="$root/.venv/bin"
scratch=$(mktemp -d "${TMPDIR:-/tmp}/coach-ts-e2e.XXXXXX")
server_pid=""

stop() {
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill "$server_pid" 2>/dev/null || true
        for _ in $(seq 1 50); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.1
        done
        kill -9 "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$scratch"
}
trap stop EXIT

port=$(node -e 'const s = require("net").createServer();
s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });')
url="http://127.0.0.1:${port}"
secret=$(node -e 'console.log(require("crypto").randomBytes(32).toString("hex"))')

# Only this checkout's code is served (PYTHONPATH first), whatever .venv was installed from.
env -u COACH_DATABASE_URL -u COACH_MIGRATIONS_DATABASE_URL -u COACH_WORKER_DATABASE_URL \
    -u COACH_REDIS_URL \
    PYTHONPATH="$root${PYTHONPATH:+:$PYTHONPATH}" \
    COACH_ENV=development \
    COACH_DATABASE_URL="sqlite+aiosqlite:///${scratch}/e2e.db" \
    COACH_JWT_SECRET="$secret" \
    COACH_LOG_LEVEL=WARNING \
    "$bin/coach-api" serve --migrate --host 127.0.0.1 --port "$port" \
    >"$scratch/server.log" 2>&1 &
server_pid=$!

ready=""
for _ in $(seq 1 600); do
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the API exited before answering /healthz:" >&2
        cat "$scratch/server.log" >&2
        exit 1
    fi
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
        "$url/healthz" 2>/dev/null; then
        ready=1
        break
    fi
    sleep 0.1
done
if [ -z "$ready" ]; then
    echo "the API did not answer /healthz at $url within 60 s:" >&2
    cat "$scratch/server.log" >&2
    exit 1
fi

status=0
(cd clients/typescript && COACH_API_URL="$url" npm run --silent e2e) || status=$?
if [ "$status" -ne 0 ]; then
    echo "--- server log ---" >&2
    cat "$scratch/server.log" >&2
fi
exit "$status"
