#!/usr/bin/env bash
# `npm run build`: compiles the sources into dist/, bundles the client commands into one file
# (scripts/bundle-cli.ts) and the workflows twice (without and with --sealed-failures, so `clo
# worker` from dist/ has the bundle its keys need), then writes
# dist/.build-stamp with the time the build started. bin/clo runs dist/ only while no source
# is newer than that stamp (bin/dist-state.js); an interrupted or failed build leaves no stamp.
# One build at a time: the scripts that install the checkout call this when dist/ is stale.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
mkdir -p dist
exec 9>dist/.build-lock
flock 9
# Another build may have finished while this one waited for the lock.
if [ "${1:-}" = "--if-stale" ] && node bin/dist-state.js 2>/dev/null; then exit 0; fi
started=$(node -p 'Date.now()')
rm -f dist/.build-stamp
# The V8 code cache of the previous build (bin/compile-cache.js): its key would not match anyway.
rm -rf dist/.compile-cache
npx tsc -p tsconfig.build.json
# The client commands' one-file bundle, dist/client/cli.bundle.js (bin/clo runs it).
npx tsx scripts/bundle-cli.ts
npx tsx scripts/build-workflow-bundle.ts --both
echo "{\"startedMs\":$started}" > dist/.build-stamp
