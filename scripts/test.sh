#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs (npm packages,
# the pinned Temporal CLI and vcsim), type-checks, lints, then runs every Jest project
# against the real Temporal dev server, vcsim and the Content Library simulator.
# Extra arguments go to Jest (e.g. `npm test -- test/unit`).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

bash scripts/ensure-deps.sh
bash scripts/install-tools.sh --cluster >/dev/null
bash scripts/ensure-chromium.sh

echo "test: typecheck" >&2
npx tsc -p tsconfig.json --noEmit
echo "test: lint" >&2
npx eslint --max-warnings 0 .
npx prettier --check . >/dev/null || { npx prettier --list-different .; echo "test: run npm run format" >&2; exit 1; }

mkdir -p test-artifacts
echo "test: jest" >&2
npx jest --ci --json --outputFile=test-artifacts/jest-results.json "$@"
