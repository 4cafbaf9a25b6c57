/** `vcenters.<name>.maxConcurrentTransfers`: from the variable or the file, unset = no limit, bad values named. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../temporal.config';

const LAB = {
  CLO_VCENTER_LAB_URL: 'https://vc.lab.example',
  CLO_VCENTER_LAB_USERNAME: 'administrator@vsphere.local',
  CLO_VCENTER_LAB_PASSWORD: 's3cret',
};

describe('maxConcurrentTransfers', () => {
  it('is unset (no limit) by default and read from CLO_VCENTER_<NAME>_MAX_CONCURRENT_TRANSFERS', () => {
    expect(loadConfig(LAB).vcenters.lab!.maxConcurrentTransfers).toBeUndefined();
    expect(
      loadConfig({ ...LAB, CLO_VCENTER_LAB_MAX_CONCURRENT_TRANSFERS: '4' }).vcenters.lab!
        .maxConcurrentTransfers,
    ).toBe(4);
  });

  it('is read from the config file, the variable winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clo-permits-config-'));
    try {
      const file = join(dir, 'clo.json');
      writeFileSync(file, JSON.stringify({ vcenters: { lab: { maxConcurrentTransfers: 3 } } }));
      expect(loadConfig({ ...LAB, CLO_CONFIG_FILE: file }).vcenters.lab!.maxConcurrentTransfers).toBe(3);
      const both = { ...LAB, CLO_CONFIG_FILE: file, CLO_VCENTER_LAB_MAX_CONCURRENT_TRANSFERS: '5' };
      expect(loadConfig(both).vcenters.lab!.maxConcurrentTransfers).toBe(5);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.each(['0', '-1', '1.5', 'two'])('refuses %s, naming the variable and what it expects', (value) => {
    expect(() => loadConfig({ ...LAB, CLO_VCENTER_LAB_MAX_CONCURRENT_TRANSFERS: value })).toThrow(
      'CLO_VCENTER_LAB_MAX_CONCURRENT_TRANSFERS: expected a whole number of at least 1 (unset: no limit)',
    );
  });
});
