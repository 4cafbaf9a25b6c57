#!/usr/bin/env bash
# Installs the npm dependencies exactly as locked, but only when the lock file changed
# since the last install (a warm run skips the minute `npm ci` takes).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
want=$( (cat package-lock.json; node --version) | sha256sum | cut -c1-16)
stamp=node_modules/.clo-installed
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "ensure-deps: npm ci (lock file changed or first run)..." >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  echo "$want" > "$stamp"
fi
# The CLI runs compiled JavaScript (bin/clo): ~0.1 s to start where tsx takes 1–2 s. Built
# here when dist/ is missing or older than a source (bin/dist-state.js), so a fresh clone and
# a pulled one start fast; bin/clo falls back to the sources meanwhile, never to old code.
if ! reason=$(node bin/dist-state.js 2>&1); then
  echo "ensure-deps: npm run build ($reason)..." >&2
  bash scripts/build.sh --if-stale >&2
fi
