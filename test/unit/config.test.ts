import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  getVCenter,
  loadConfig,
  resolveVCenterCredentials,
  temporalConnectionOptions,
} from '../../temporal.config';

const LAB = {
  CLO_VCENTER_LAB_URL: 'https://vc.lab.example:443',
  CLO_VCENTER_LAB_USERNAME: 'administrator@vsphere.local',
  CLO_VCENTER_LAB_PASSWORD: 's3cret',
};

function configError(env: NodeJS.ProcessEnv): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect((err as Error).name).toBe('ConfigError');
    return (err as Error).message;
  }
  throw new Error('expected loadConfig to fail');
}

describe('loadConfig', () => {
  it('uses the documented defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.temporal).toEqual({
      address: '127.0.0.1:7233',
      namespace: 'default',
      taskQueue: 'content-library',
      tls: { enabled: false },
    });
    expect(config.timeouts).toEqual({ keepAliveIntervalMs: 60_000, heartbeatTimeoutMs: 30_000 });
    expect(config.vcenters).toEqual({});
  });

  it('builds named vCenter connections from CLO_VCENTER_<NAME>_* variables', () => {
    const config = loadConfig({
      ...LAB,
      CLO_VCENTER_EDGE_SITE_URL: 'http://127.0.0.1:8989',
      CLO_VCENTER_EDGE_SITE_ALLOW_PLAIN_HTTP: 'true',
      CLO_VCENTER_EDGE_SITE_USERNAME: 'u',
      CLO_VCENTER_EDGE_SITE_PASSWORD_FILE: '/run/secrets/edge',
      CLO_VCENTER_EDGE_SITE_INSECURE: 'true',
    });
    expect(config.vcenters.lab).toEqual({
      url: LAB.CLO_VCENTER_LAB_URL,
      username: LAB.CLO_VCENTER_LAB_USERNAME,
      password: 's3cret',
      tls: { insecure: false },
    });
    expect(config.vcenters['edge-site']?.tls.insecure).toBe(true);
    expect(config.vcenters['edge-site']?.passwordFile).toBe('/run/secrets/edge');
  });

  it('reads a transfer URL for a vCenter behind a proxy without taking it for the vCenter URL', () => {
    const config = loadConfig({ ...LAB, CLO_VCENTER_LAB_TRANSFER_URL: 'https://proxy.lab.example:8443' });
    expect(config.vcenters.lab?.url).toBe(LAB.CLO_VCENTER_LAB_URL);
    expect(config.vcenters.lab?.transferUrl).toBe('https://proxy.lab.example:8443');
  });

  it('names the host queue after CLO_HOST_ID when set, and after the host name otherwise', () => {
    expect(loadConfig({}).worker).toEqual({ directIo: true, shutdownGraceMs: 25_000 });
    expect(loadConfig({ CLO_HOST_ID: 'nfs-volume-1' }).worker).toEqual({
      hostId: 'nfs-volume-1',
      directIo: true,
      shutdownGraceMs: 25_000,
    });
    expect(configError({ CLO_HOST_ID: 'a/b' })).toMatch(
      /CLO_HOST_ID: expected a stable id of letters, digits/,
    );
    expect(configError({ CLO_HOST_ID: '.hidden' })).toMatch(/CLO_HOST_ID: /);
  });

  it('drains a stopping worker for CLO_SHUTDOWN_GRACE, 25 s unless set', () => {
    expect(loadConfig({}).worker.shutdownGraceMs).toBe(25_000);
    expect(loadConfig({ CLO_SHUTDOWN_GRACE: '2s' }).worker.shutdownGraceMs).toBe(2000);
    expect(configError({ CLO_SHUTDOWN_GRACE: 'soon' })).toMatch(/CLO_SHUTDOWN_GRACE: expected a duration/);
  });

  it('writes downloads with O_DIRECT unless CLO_DIRECT_IO turns it off', () => {
    expect(loadConfig({ CLO_DIRECT_IO: 'false' }).worker.directIo).toBe(false);
    expect(loadConfig({ CLO_DIRECT_IO: 'yes' }).worker.directIo).toBe(true);
    expect(configError({ CLO_DIRECT_IO: 'maybe' })).toMatch(/CLO_DIRECT_IO: /);
  });

  it('parses durations with units', () => {
    const config = loadConfig({ CLO_KEEPALIVE_INTERVAL: '90s', CLO_HEARTBEAT_TIMEOUT: '1500ms' });
    expect(config.timeouts).toEqual({ keepAliveIntervalMs: 90_000, heartbeatTimeoutMs: 1500 });
  });

  it('names the variable and the expectation for a bad duration', () => {
    expect(configError({ CLO_KEEPALIVE_INTERVAL: 'soon' })).toMatch(
      /CLO_KEEPALIVE_INTERVAL: expected a duration like 30s/,
    );
  });

  it('names the variable for a bad Temporal address', () => {
    expect(configError({ TEMPORAL_ADDRESS: 'localhost' })).toMatch(/TEMPORAL_ADDRESS: expected host:port/);
  });

  it('names the variable for a vCenter URL that is not http(s)', () => {
    expect(configError({ ...LAB, CLO_VCENTER_LAB_URL: 'ftp://vc' })).toMatch(
      /CLO_VCENTER_LAB_URL: expected an http/,
    );
  });

  it('rejects a thumbprint that is neither a SHA-1 nor a SHA-256 and says what is expected', () => {
    expect(configError({ ...LAB, CLO_VCENTER_LAB_THUMBPRINT: 'AB:CD' })).toMatch(
      /CLO_VCENTER_LAB_THUMBPRINT: expected a SHA-1 or SHA-256 thumbprint/,
    );
  });

  it('asks for exactly one of password and password file', () => {
    const noPassword: NodeJS.ProcessEnv = { ...LAB, CLO_VCENTER_LAB_PASSWORD: undefined };
    expect(configError(noPassword)).toMatch(
      /set exactly one of password or passwordFile \(set CLO_VCENTER_LAB_PASSWORD\)/,
    );
  });

  it('never echoes a password in its error message', () => {
    const message = configError({ ...LAB, CLO_VCENTER_LAB_URL: 'nope' });
    expect(message).not.toContain('s3cret');
  });

  it('reads a JSON config file and lets the environment override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'clo-config-'));
    const file = join(dir, 'clo.json');
    writeFileSync(
      file,
      JSON.stringify({
        temporal: { address: 'temporal.internal:7233', taskQueue: 'from-file' },
        vcenters: { prod: { url: 'https://vc.prod', username: 'svc', passwordFile: join(dir, 'pw') } },
      }),
    );
    writeFileSync(join(dir, 'pw'), 'from-file-secret\n');
    const config = loadConfig({ CLO_CONFIG_FILE: file, CLO_TASK_QUEUE: 'from-env' });
    expect(config.temporal.address).toBe('temporal.internal:7233');
    expect(config.temporal.taskQueue).toBe('from-env');
    expect(resolveVCenterCredentials(getVCenter(config, 'prod'))).toEqual({
      username: 'svc',
      password: 'from-file-secret',
    });
  });

  it('reports an unreadable config file by its variable', () => {
    expect(configError({ CLO_CONFIG_FILE: '/nonexistent/clo.json' })).toMatch(
      /^CLO_CONFIG_FILE=\/nonexistent\/clo.json: cannot read/,
    );
  });

  it('lists the configured vCenters when an unknown one is asked for', () => {
    const config = loadConfig(LAB);
    expect(() => getVCenter(config, 'prod')).toThrow('vCenter "prod" is not configured; configured: lab');
  });

  it('turns on TLS for Temporal when an API key is set', () => {
    const config = loadConfig({ TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_API_KEY: 'key' });
    expect(temporalConnectionOptions(config.temporal)).toEqual({
      address: 'ns.acct.tmprl.cloud:7233',
      apiKey: 'key',
      tls: {},
    });
  });

  it('requires both halves of an mTLS pair', () => {
    expect(configError({ TEMPORAL_TLS_CERT_FILE: '/c.pem' })).toMatch(/set both certFile and keyFile/);
  });
});
