import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../temporal.config';
import { resolveWorkflowBundle } from '../../worker/workflow-bundle';

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
});
