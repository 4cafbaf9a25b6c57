// Whether dist/ is a build of the sources as they are now. bin/clo runs dist/ only then;
// `npm run build` (scripts/build.sh) writes the stamp. Plain CommonJS with no dependencies:
// bin/clo requires it before anything else, on every start.
//
// The stamp holds the time the build started; dist/ is fresh when no file it was compiled
// from changed after that. Comparing mtimes costs ~2 ms for the ~130 sources, where hashing
// them (or asking git) would cost tens; an edit, a `git pull` or a checkout all set the mtime,
// so none of them can leave old code running. A copy that resets every mtime (cp without -p)
// looks stale, which only costs a slower start or a warning, never old code unannounced.
'use strict';
const { readdirSync, readFileSync, statSync } = require('node:fs');
const { join } = require('node:path');

const ROOT = join(__dirname, '..');
/** Written last by scripts/build.sh, after tsc and both workflow bundles succeeded. */
const STAMP = join(ROOT, 'dist', '.build-stamp');
/** What the build compiles (tsconfig.build.json's include plus what it imports) and its settings. */
const SOURCE_DIRS = ['client', 'activities', 'workflows', 'worker', 'codec'];
const SOURCE_FILES = ['temporal.config.ts', 'tsconfig.json', 'tsconfig.build.json'];

/** The first source modified after `since` (ms), or undefined. */
function newerSource(since, root = ROOT) {
  for (const file of SOURCE_FILES) {
    if (mtime(join(root, file)) > since) return file;
  }
  for (const dir of SOURCE_DIRS) {
    const found = newerIn(root, dir, since);
    if (found) return found;
  }
  return undefined;
}

function newerIn(root, rel, since) {
  let entries;
  try {
    entries = readdirSync(join(root, rel), { withFileTypes: true });
  } catch {
    return undefined;
  }
  for (const e of entries) {
    const path = `${rel}/${e.name}`;
    if (e.isDirectory()) {
      const found = newerIn(root, path, since);
      if (found) return found;
    } else if (/\.(ts|json)$/.test(e.name) && mtime(join(root, path)) > since) {
      return path;
    }
  }
  return undefined;
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/**
 * `{ fresh: true }` when dist/ was built from the current sources, else `{ fresh: false, reason }`
 * where the reason is a sentence naming what is missing or which file changed.
 */
function distState(root = ROOT) {
  let started;
  try {
    started = Number(JSON.parse(readFileSync(join(root, 'dist', '.build-stamp'), 'utf8')).startedMs);
  } catch {
    return { fresh: false, reason: 'dist/ has no complete build' };
  }
  const changed = newerSource(started, root);
  return changed ? { fresh: false, reason: `${changed} changed after dist/ was built` } : { fresh: true };
}

module.exports = { distState, STAMP };

// `node bin/dist-state.js`: exit 0 when dist/ is fresh, else 1 with the reason (scripts/ensure-deps.sh).
if (require.main === module) {
  const state = distState();
  if (!state.fresh) {
    console.error(state.reason);
    process.exitCode = 1;
  }
}
