/**
 * Worker Deployment settings (docs/deploy.md): unversioned unless a build id is set; the
 * deployment name defaults to the task queue; bad values name the variable or flag.
 */
import { checkWorkerFlags } from '../../client/commands/worker';
import { deploymentNameFor, loadConfig } from '../../temporal.config';
import { workerDeploymentOptionsFor } from '../../worker/versioning';

function failure(fn: () => unknown): { name: string; message: string } {
  try {
    fn();
  } catch (err) {
    return { name: (err as Error).name, message: (err as Error).message };
  }
  throw new Error('expected a failure');
}

describe('worker deployment settings', () => {
  it('leaves the worker unversioned when no build id is set, as clo dev, the demo and the tests run', () => {
    const config = loadConfig({});
    expect(config.worker.buildId).toBeUndefined();
    expect(workerDeploymentOptionsFor(config, config.temporal.taskQueue)).toBeUndefined();
  });

  it('versions every worker with CLO_BUILD_ID, in a deployment named after the task queue by default', () => {
    const config = loadConfig({ CLO_BUILD_ID: '2026.12.04-3f9a1c2', CLO_TASK_QUEUE: 'transfers' });
    expect(deploymentNameFor(config)).toBe('transfers');
    expect(workerDeploymentOptionsFor(config, 'transfers')).toEqual({
      useWorkerVersioning: true,
      version: { deploymentName: 'transfers', buildId: '2026.12.04-3f9a1c2' },
      defaultVersioningBehavior: 'PINNED',
    });
    // `clo worker --task-queue` names the deployment after the queue it polls.
    expect(workerDeploymentOptionsFor(config, 'other')?.version.deploymentName).toBe('other');
  });

  it('takes the deployment name from CLO_DEPLOYMENT_NAME or the config file', () => {
    const config = loadConfig({ CLO_BUILD_ID: 'b1', CLO_DEPLOYMENT_NAME: 'clo-prod' });
    expect(workerDeploymentOptionsFor(config, 'content-library')?.version).toEqual({
      deploymentName: 'clo-prod',
      buildId: 'b1',
    });
  });

  it('names the variable and the expectation for a bad build id or deployment name', () => {
    expect(failure(() => loadConfig({ CLO_BUILD_ID: 'has space' })).message).toMatch(
      /CLO_BUILD_ID: expected letters, digits/,
    );
    expect(failure(() => loadConfig({ CLO_BUILD_ID: '_leading' })).message).toMatch(/CLO_BUILD_ID/);
    expect(failure(() => loadConfig({ CLO_DEPLOYMENT_NAME: 'clo.prod' })).message).toMatch(
      /CLO_DEPLOYMENT_NAME: expected a name .* without spaces, '\.' or ':'/,
    );
    expect(failure(() => loadConfig({ CLO_DEPLOYMENT_NAME: '__reserved' })).message).toMatch(
      /CLO_DEPLOYMENT_NAME/,
    );
  });

  it('asks for CLO_DEPLOYMENT_NAME when the task queue cannot be a deployment name', () => {
    const config = loadConfig({ CLO_BUILD_ID: 'b1', CLO_TASK_QUEUE: 'clo.transfers' });
    const err = failure(() => workerDeploymentOptionsFor(config, config.temporal.taskQueue));
    expect(err.name).toBe('ConfigError');
    expect(err.message).toMatch(/task queue "clo\.transfers".*set CLO_DEPLOYMENT_NAME/);
  });

  it('names the flag for a bad --build-id or --deployment-name', () => {
    expect(failure(() => checkWorkerFlags({ buildId: 'a b' }))).toEqual({
      name: 'InvalidInputError',
      message: expect.stringMatching(/^--build-id: expected letters, digits.* \(got "a b"\)$/) as string,
    });
    expect(failure(() => checkWorkerFlags({ buildId: 'b1', deploymentName: 'x:y' })).message).toMatch(
      /^--deployment-name: expected a name/,
    );
    expect(() => checkWorkerFlags({ buildId: 'v1.4.2+g3f9a1c2', deploymentName: 'clo-prod' })).not.toThrow();
  });
});
