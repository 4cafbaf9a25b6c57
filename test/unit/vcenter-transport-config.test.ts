import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { loadConfig } from '../../temporal.config';

const LAB = {
  CLO_VCENTER_LAB_URL: 'https://vc.lab.example',
  CLO_VCENTER_LAB_USERNAME: 'administrator@vsphere.local',
  CLO_VCENTER_LAB_PASSWORD: 's3cret',
};
const SHA1 = 'AB:'.repeat(19) + 'AB';
const SHA256 = 'cd'.repeat(32);

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect((err as Error).name).toBe('ConfigError');
    return (err as Error).message;
  }
  throw new Error('expected loadConfig to fail');
}

describe('vCenter transport security', () => {
  it('refuses an http:// vCenter URL, naming the variable that allows it and the fix', () => {
    const message = configError({ ...LAB, CLO_VCENTER_LAB_URL: 'http://vc.lab.example' });
    expect(message).toMatch(/CLO_VCENTER_LAB_URL: http:\/\/vc\.lab\.example is plain HTTP/);
    expect(message).toContain('use https://');
    expect(message).toContain('CLO_VCENTER_LAB_ALLOW_PLAIN_HTTP=true');
    expect(message).not.toContain('s3cret');
  });

  it('refuses an http:// transfer URL too: it carries the session token', () => {
    expect(configError({ ...LAB, CLO_VCENTER_LAB_TRANSFER_URL: 'http://proxy.lab' })).toMatch(
      /CLO_VCENTER_LAB_TRANSFER_URL: .*CLO_VCENTER_LAB_ALLOW_PLAIN_HTTP=true/,
    );
  });

  it('accepts http:// when allowPlainHttp is set, by variable or in the config file', () => {
    const env = {
      ...LAB,
      CLO_VCENTER_LAB_URL: 'http://127.0.0.1:8989',
      CLO_VCENTER_LAB_ALLOW_PLAIN_HTTP: 'true',
    };
    expect(loadConfig(env).vcenters.lab?.allowPlainHttp).toBe(true);

    const dir = mkdtempSync(join(tmpdir(), 'clo-transport-'));
    try {
      const file = join(dir, 'clo.json');
      writeFileSync(
        file,
        JSON.stringify({
          vcenters: {
            sim: { url: 'http://127.0.0.1:8989', username: 'u', password: 'p', allowPlainHttp: true },
          },
        }),
      );
      expect(loadConfig({ CLO_CONFIG_FILE: file }).vcenters.sim?.url).toBe('http://127.0.0.1:8989');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a thumbprint, certificate or CA file with an http:// URL, even when plain HTTP is allowed', () => {
    const plain = {
      ...LAB,
      CLO_VCENTER_LAB_URL: 'http://vc.lab.example',
      CLO_VCENTER_LAB_ALLOW_PLAIN_HTTP: 'true',
    };
    expect(configError({ ...plain, CLO_VCENTER_LAB_THUMBPRINT: SHA1 })).toMatch(
      /CLO_VCENTER_LAB_THUMBPRINT: CLO_VCENTER_LAB_THUMBPRINT is set but http:\/\/vc\.lab\.example is plain HTTP, where there is no certificate to check/,
    );
    expect(configError({ ...plain, CLO_VCENTER_LAB_CERTIFICATE_FILE: '/etc/vc.pem' })).toMatch(
      /CLO_VCENTER_LAB_CERTIFICATE_FILE is set but .* plain HTTP/,
    );
    expect(configError({ ...plain, CLO_VCENTER_LAB_CA_FILE: '/etc/ca.pem' })).toMatch(
      /CLO_VCENTER_LAB_CA_FILE is set but .* plain HTTP/,
    );
  });

  it('accepts SHA-1 and SHA-256 thumbprints and a certificate file with https://', () => {
    expect(loadConfig({ ...LAB, CLO_VCENTER_LAB_THUMBPRINT: SHA1 }).vcenters.lab?.tls.thumbprint).toBe(SHA1);
    expect(loadConfig({ ...LAB, CLO_VCENTER_LAB_THUMBPRINT: SHA256 }).vcenters.lab?.tls.thumbprint).toBe(
      SHA256,
    );
    expect(
      loadConfig({ ...LAB, CLO_VCENTER_LAB_CERTIFICATE_FILE: '/etc/vc.pem' }).vcenters.lab?.tls
        .certificateFile,
    ).toBe('/etc/vc.pem');
  });

  it('asks for one pin, not a thumbprint and a certificate file', () => {
    expect(
      configError({
        ...LAB,
        CLO_VCENTER_LAB_THUMBPRINT: SHA1,
        CLO_VCENTER_LAB_CERTIFICATE_FILE: '/etc/vc.pem',
      }),
    ).toMatch(/set one of CLO_VCENTER_LAB_THUMBPRINT and CLO_VCENTER_LAB_CERTIFICATE_FILE, not both/);
  });
});
