/**
 * The workflow code a worker runs: a bundle prebuilt by `npm run build:workflows`,
 * or workflows/ bundled with webpack at start-up. Bundling at start-up costs seconds
 * and leaves webpack's heap behind (about 150 MiB of the worker's resident set), so a
 * deployed worker runs the prebuilt bundle; a checkout keeps working without a build.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import { KEY_SETTINGS } from '../codec/encryption-codec';
import { SEALED_FAILURES_MARKER, sealedFailureConverterPath } from '../codec/data-converter';
import { ConfigError, type CloConfig } from '../temporal.config';

/** Environment variable naming a prebuilt bundle; `clo worker --workflow-bundle` overrides it. */
export const WORKFLOW_BUNDLE_ENV = 'CLO_WORKFLOW_BUNDLE';

/**
 * The file name of the bundle `npm run build` writes into dist/ for workers without an
 * encryption key (`sealedFailures` false) and for those with one: both are built, so a
 * worker from dist/ runs the one its keys need (checkWorkflowBundle) whatever its config.
 */
export function distWorkflowBundleName(sealedFailures: boolean): string {
  return sealedFailures ? 'workflow-bundle-sealed-failures.js' : 'workflow-bundle.js';
}

/**
 * The prebuilt bundle to run, if any: `explicit` (--workflow-bundle), else $CLO_WORKFLOW_BUNDLE,
 * else, when this code itself runs compiled from dist/, the dist/ bundle matching
 * `sealedFailures` (whether an encryption key is configured). From the TypeScript sources a
 * bundle built earlier could be stale, and without the matching dist/ bundle the worker would
 * refuse the other one, so in both cases workflows/ is bundled afresh. bin/clo runs dist/ only
 * while no source is newer than its build, bundles included (bin/dist-state.js).
 * Throws when a named bundle does not exist.
 */
export function resolveWorkflowBundle(
  explicit?: string,
  env: NodeJS.ProcessEnv = process.env,
  sealedFailures = false,
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
  return __filename.endsWith('.js') ? distWorkflowBundle(join(__dirname, '..'), sealedFailures) : undefined;
}

/** The bundle in `distDir` for workers with (`sealedFailures`) or without a key, if it was built. */
export function distWorkflowBundle(distDir: string, sealedFailures: boolean): string | undefined {
  const path = join(distDir, distWorkflowBundleName(sealedFailures));
  return existsSync(path) ? path : undefined;
}

/** Options for {@link buildWorkflowBundle}. */
export interface BuildWorkflowBundleOptions {
  /**
   * Bundle the failure converter that seals failure messages and stack traces
   * (codec/sealed-failure-converter.ts): the bundle for workers with an encryption key.
   * @default false
   */
  sealedFailures?: boolean;
}

/**
 * Bundles workflows/ as the worker would at start-up, but with a source map that keeps the
 * mappings (stack traces still name our files and lines) and drops the sources' text, which
 * only `showStackTraceSources` would send: the worker parses the map and copies it into the
 * workflow thread, so the text alone costs about 20 MiB of resident memory.
 */
export async function buildWorkflowBundle(opts: BuildWorkflowBundleOptions = {}): Promise<string> {
  const quiet = () => undefined;
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    ...(opts.sealedFailures ? { failureConverterPath: sealedFailureConverterPath } : {}),
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

/**
 * Throws a ConfigError when a prebuilt bundle does not match the configuration: the failure
 * converter is compiled into the bundle (the worker's `failureConverterPath` reaches only its
 * activities), so with an encryption key a bundle without the sealed-failure converter would
 * write the workflows' failure messages in clear, and without a key one with it would hide
 * them from everyone reading history without a codec.
 */
export async function checkWorkflowBundle(
  bundle: NonNullable<WorkerOptions['workflowBundle']>,
  config: Pick<CloConfig, 'temporal'>,
): Promise<void> {
  const code = 'code' in bundle ? bundle.code : await readFile(bundle.codePath, 'utf8');
  const sealed = code.includes(SEALED_FAILURES_MARKER);
  const keyed = Boolean(config.temporal.encryption);
  if (sealed === keyed) return;
  const which = 'codePath' in bundle ? bundle.codePath : 'the workflow bundle';
  throw new ConfigError(
    keyed
      ? `${which} was built without the sealed-failure converter, but encryption keys are configured ` +
          `(${KEY_SETTINGS}), so failure messages would be stored in clear: rebuild it with ` +
          `\`npm run build:workflows -- --sealed-failures\``
      : `${which} was built with --sealed-failures, but no encryption key is configured: ` +
          `configure ${KEY_SETTINGS}, or rebuild it with \`npm run build:workflows\``,
  );
}
