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
