#!/usr/bin/env bash
# `npm run record-histories [-- --replace] [-- <jest args>]`: records workflow histories for
# the replay corpus (test/replay/histories, see docs/replay.md). Runs the saga tests against
# a fresh stack; before global teardown stops the Temporal server, it keeps a few small
# histories of each workflow type and scenario. New files are ADDED beside the existing
# ones (runs of older code the current code must keep replaying); --replace starts over.
# --at REV records the tests and workflow code of commit REV (exported into a temporary
# directory, with this checkout's recorder) instead of the working tree, whose workflows/
# may hold someone's unfinished edit.
# Extra arguments go to Jest (e.g. test file paths to record fewer).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

replace=0
at=""
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --replace) replace=1 ;;
    --at) at=${2:?--at needs a commit, e.g. --at HEAD}; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done
if [ ${#args[@]} -eq 0 ]; then
  # The tests that run sagas on the stack's server (clo-dev starts a server of its own).
  args=(test/workflows test/cli/clo-sync.test.ts test/cli/clo-upload.test.ts
    test/cli/clo-download.test.ts test/cli/schedule.test.ts test/cli/status-list.test.ts)
fi

bash scripts/ensure-deps.sh
bash scripts/install-tools.sh >/dev/null

out="$root/test/replay/histories"
if [ -n "$at" ]; then
  commit=$(git rev-parse --short=12 "$at^{commit}")
  # Outside the clone, so Jest runs in the clone do not crawl a second copy of the project.
  copy=$(mktemp -d "${TMPDIR:-/tmp}/clo-record-XXXXXX")
  trap 'rm -rf "$copy"' EXIT
  git archive "$commit" | tar -x -C "$copy"
  ln -s "$root/node_modules" "$copy/node_modules"
  # The recorder is this checkout's (REV may predate it); the tests and the workflow code are REV's.
  for f in scripts/record-histories.ts test/replay/classify.ts test/replay/history-json.ts \
    test/stack/global-teardown.ts; do
    mkdir -p "$(dirname "$copy/$f")" && cp "$root/$f" "$copy/$f"
  done
  export CLO_RECORD_COMMIT=$commit
  cd "$copy"
  echo "record-histories: recording commit $commit (in $copy)" >&2
elif [ -n "$(git status --porcelain -- workflows)" ]; then
  echo "record-histories: workflows/ has uncommitted changes; the index will say -dirty" \
    "(use --at HEAD to record the last commit instead)" >&2
fi

# One test file at a time: the kill and timing tests are sensitive to a loaded machine.
status=0
CLO_RECORD_HISTORIES="$out" CLO_RECORD_REPLACE=$replace \
  npx jest --selectProjects stack --maxWorkers=1 "${args[@]}" || status=$?
if [ $status -ne 0 ]; then
  echo "record-histories: some tests failed (exit $status); their histories were recorded too," \
    "and must replay all the same: check with npx jest --selectProjects unit test/replay" >&2
fi
exit $status
