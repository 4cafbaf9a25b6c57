#!/usr/bin/env bash
# The main job, from a fresh clone: installs what it needs, then runs `clo demo`
# (embedded Temporal dev server + Web UI + vcsim, a worker, and a workflow end to end).
# Extra arguments go to `clo demo` (e.g. `npm run demo -- --keep`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"
bash scripts/ensure-deps.sh
bash scripts/install-tools.sh >/dev/null
exec node bin/clo demo "$@"
