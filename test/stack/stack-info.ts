/** What global setup started, as tests see it. */
export interface StackInfo {
  temporalAddress: string;
  namespace: string;
  uiUrl?: string;
  vcsim: { url: string; datastore: string };
  /** A second vcsim over HTTPS with its self-signed certificate. */
  vcsimTls: { url: string; datastore: string; thumbprint: string; certFile: string };
  /**
   * The codec server the dev server's Web UI decodes with (`--ui-codec-endpoint`), and its keys
   * (`CLO_ENCRYPTION_KEYS` syntax): a test that encrypts with these sees decoded payloads in the UI.
   */
  codec?: { endpoint: string; keys: string };
  /** The `temporal` CLI binary the dev server runs from. */
  temporalBin?: string;
  /** Workflow code bundled once per run. */
  workflowBundlePath: string;
  /** The same with the sealed-failure converter, for workers with an encryption key (workflowBundleFor). */
  sealedWorkflowBundlePath: string;
  dir: string;
}

/** The running stack; fails clearly if the test was started outside the `stack` project. */
export function stackInfo(): StackInfo {
  const raw = process.env.CLO_TEST_STACK;
  if (!raw)
    throw new Error('CLO_TEST_STACK is not set: run this test in the jest `stack` project (npm test)');
  return JSON.parse(raw) as StackInfo;
}

/**
 * What a test's worker needs of a running Temporal: the stack's (default) or the `cluster`
 * project's (test/cluster/cluster-info.ts has the same field names).
 */
export type TestTarget = Pick<
  StackInfo,
  'temporalAddress' | 'namespace' | 'vcsim' | 'workflowBundlePath' | 'sealedWorkflowBundlePath'
>;

/** The target's workflow bundle for a worker with `config`: failures sealed when it has an encryption key. */
export function workflowBundleFor(
  config: { temporal: { encryption?: unknown } },
  target: TestTarget = stackInfo(),
): { codePath: string } {
  return {
    codePath: config.temporal.encryption ? target.sealedWorkflowBundlePath : target.workflowBundlePath,
  };
}
