import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../temporal.config';
import { distWorkflowBundle, resolveWorkflowBundle } from '../../worker/workflow-bundle';

describe('resolveWorkflowBundle', () => {
  it('takes --workflow-bundle over CLO_WORKFLOW_BUNDLE, and either must exist', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'clo-bundle-'));
    const a = join(dir, 'a.js');
    const b = join(dir, 'b.js');
    await writeFile(a, '');
    await writeFile(b, '');
    expect(resolveWorkflowBundle(a, { CLO_WORKFLOW_BUNDLE: b })).toBe(a);
    expect(resolveWorkflowBundle(undefined, { CLO_WORKFLOW_BUNDLE: b })).toBe(b);
    expect(() => resolveWorkflowBundle(join(dir, 'nope.js'), {})).toThrow(ConfigError);
    expect(() => resolveWorkflowBundle(join(dir, 'nope.js'), {})).toThrow(
      /--workflow-bundle: .*nope\.js does not exist/,
    );
    expect(() => resolveWorkflowBundle(undefined, { CLO_WORKFLOW_BUNDLE: join(dir, 'nope.js') })).toThrow(
      /CLO_WORKFLOW_BUNDLE: .*nope\.js does not exist/,
    );
  });

  it('bundles at start-up when run from the TypeScript sources and none is named', () => {
    expect(resolveWorkflowBundle(undefined, {})).toBeUndefined();
  });

  it('picks the dist/ bundle its keys need (npm run build writes both), else bundles at start-up', async () => {
    const dist = await mkdtemp(join(tmpdir(), 'clo-dist-'));
    expect(distWorkflowBundle(dist, true)).toBeUndefined();
    await writeFile(join(dist, 'workflow-bundle.js'), '');
    // Only the unsealed one: a worker with a key bundles at start-up instead of being refused.
    expect(distWorkflowBundle(dist, true)).toBeUndefined();
    expect(distWorkflowBundle(dist, false)).toBe(join(dist, 'workflow-bundle.js'));
    await writeFile(join(dist, 'workflow-bundle-sealed-failures.js'), '');
    expect(distWorkflowBundle(dist, true)).toBe(join(dist, 'workflow-bundle-sealed-failures.js'));
    expect(distWorkflowBundle(dist, false)).toBe(join(dist, 'workflow-bundle.js'));
  });
});
