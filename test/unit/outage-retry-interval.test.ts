/**
 * The outage retry interval (CLO_OUTAGE_RETRY_INTERVAL, options.outageRetryIntervalMs): read
 * from the configuration, filled into the workflow input by the client like the outage
 * budget, and turned into the sagas' retry policy, which is unchanged when it is not set.
 * test/workflows/outage.test.ts runs a saga through an outage with it.
 */
import { prepareUploadInput } from '../../client/upload';
import { loadConfig } from '../../temporal.config';
import { UploadInput } from '../../workflows/definitions/upload';
import { OUTAGE_RETRY, outageRetry } from '../../workflows/lib/retry';

const upload = {
  vcenter: 'lab',
  library: { name: 'lib' },
  item: { name: 'item' },
  source: { kind: 'file', path: '/data/photon.iso' },
} as const;

describe('the outage retry interval', () => {
  it('is read from CLO_OUTAGE_RETRY_INTERVAL, and unset by default', () => {
    expect(loadConfig({ CLO_OUTAGE_RETRY_INTERVAL: '2s' }).timeouts.outageRetryIntervalMs).toBe(2000);
    expect(loadConfig({}).timeouts.outageRetryIntervalMs).toBeUndefined();
  });

  it('refuses less than a second, naming the variable', () => {
    expect(() => loadConfig({ CLO_OUTAGE_RETRY_INTERVAL: '500ms' })).toThrow(
      /CLO_OUTAGE_RETRY_INTERVAL.*at least 1s/,
    );
    expect(UploadInput.safeParse({ ...upload, options: { outageRetryIntervalMs: 500 } }).success).toBe(false);
  });

  it('is filled into the input from the configuration, unless the input sets it', () => {
    const config = loadConfig({ CLO_OUTAGE_RETRY_INTERVAL: '5s' });
    expect(prepareUploadInput(upload, config).options.outageRetryIntervalMs).toBe(5000);
    const own = { ...upload, options: { outageRetryIntervalMs: 2000 } } as UploadInput;
    expect(prepareUploadInput(own, config).options.outageRetryIntervalMs).toBe(2000);
    expect(prepareUploadInput(upload, loadConfig({})).options.outageRetryIntervalMs).toBeUndefined();
  });

  it('caps the backoff of the sagas’ retry policy, with no attempt cap; unset, the policy is the old one', () => {
    expect(outageRetry(undefined)).toBe(OUTAGE_RETRY);
    expect(outageRetry(2000)).toEqual({ ...OUTAGE_RETRY, maximumInterval: 2000 });
    expect(outageRetry(2000).maximumAttempts).toBeUndefined();
  });
});
