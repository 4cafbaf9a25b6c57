/**
 * The workflow code a worker runs: a bundle prebuilt by `npm run build:workflows`,
 * or workflows/ bundled with webpack at start-up. Bundling at start-up costs seconds
 * and leaves webpack's heap behind (about 150 MiB of the worker's resident set), so a
 * deployed worker runs the prebuilt bundle; a checkout keeps working without a build.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { ConfigError } from '../temporal.config';

/** Environment variable naming a prebuilt bundle; `clo worker --workflow-bundle` overrides it. */
export const WORKFLOW_BUNDLE_ENV = 'CLO_WORKFLOW_BUNDLE';

/**
 * The prebuilt bundle to run, if any: `explicit` (--workflow-bundle), else $CLO_WORKFLOW_BUNDLE,
 * else dist/workflow-bundle.js when this code itself runs compiled from dist/ (from the
 * TypeScript sources, a bundle built earlier could be stale, so workflows/ is bundled afresh).
 * Throws when a named bundle does not exist.
 */
export function resolveWorkflowBundle(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  const named = explicit ?? env[WORKFLOW_BUNDLE_ENV];
  if (named) {
    const path = resolve(named);
    if (!existsSync(path)) {
      const from = explicit ? '--workflow-bundle' : WORKFLOW_BUNDLE_ENV;
      throw new ConfigError(`${from}: ${path} does not exist; build it with \`npm run build:workflows\``);
    }
    return path;
  }
  const compiled = join(__dirname, '..', 'workflow-bundle.js');
  return __filename.endsWith('.js') && existsSync(compiled) ? compiled : undefined;
}

/**
 * Bundles workflows/ as the worker would at start-up, but with a source map that keeps the
 * mappings (stack traces still name our files and lines) and drops the sources' text, which
 * only `showStackTraceSources` would send: the worker parses the map and copies it into the
 * workflow thread, so the text alone costs about 20 MiB of resident memory.
 */
export async function buildWorkflowBundle(): Promise<string> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    webpackConfigHook: (config) => ({ ...config, devtool: 'inline-nosources-source-map' }),
    logger: {
      trace: quiet,
      debug: quiet,
      info: quiet,
      log: quiet,
      warn: (m: string) => console.warn(m),
      error: (m: string) => console.error(m),
    },
  });
  return code;
}
