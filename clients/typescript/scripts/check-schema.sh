#!/usr/bin/env bash
# `make ts-client-check`: src/schema.d.ts is what openapi-typescript (default settings,
# the pinned version) makes of openapi/openapi.json, and the client compiles under
# `tsc --strict`. Run from clients/typescript after `npm ci`.
set -euo pipefail

fresh=$(mktemp "${TMPDIR:-/tmp}/coach-schema.XXXXXX.d.ts")
trap 'rm -f "$fresh"' EXIT
node_modules/.bin/openapi-typescript ../../openapi/openapi.json -o "$fresh" >/dev/null
if ! cmp -s src/schema.d.ts "$fresh"; then
    diff -u src/schema.d.ts "$fresh" | head -40 || true
    echo "clients/typescript/src/schema.d.ts is stale: run 'npm run generate' in clients/typescript and commit it" >&2
    exit 1
fi
echo "src/schema.d.ts matches openapi/openapi.json"
node_modules/.bin/tsc --strict --noEmit -p tsconfig.json
echo "tsc --strict --noEmit: no errors"
