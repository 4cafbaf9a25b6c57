/**
 * Password rotation and logout, against the simulator (which checks the password and counts live
 * login sessions): a refused login re-reads the password once, and dropping a client logs it out.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ContentLibraryClient } from '../../../activities/content-library/client';
import type { ContentLibraryError } from '../../../activities/content-library/errors';
import { LOGOUT_TIMEOUT_MS, VCenterClients } from '../../../activities/vcenter-clients';
import { loadConfig } from '../../../temporal.config';
import { startSimulator, type ContentLibrarySimulator } from '../../simulator';

let sim: ContentLibrarySimulator;
let dir: string;
let passwordFile: string;

beforeEach(async () => {
  sim = await startSimulator({ username: 'user', password: 'old-secret' });
  dir = await mkdtemp(join(tmpdir(), 'clo-creds-'));
  passwordFile = join(dir, 'password');
  await writeFile(passwordFile, 'old-secret\n');
});

afterEach(async () => {
  await sim.close();
  await rm(dir, { recursive: true, force: true });
});

async function failureOf(p: Promise<unknown>): Promise<ContentLibraryError> {
  try {
    await p;
  } catch (err) {
    return err as ContentLibraryError;
  }
  throw new Error('expected a failure');
}

/** What an operator does: the new password on vCenter and in the file, old logins gone. */
async function rotate(to: string): Promise<void> {
  sim.setCredentials('user', to);
  await writeFile(passwordFile, `${to}\n`);
  sim.invalidateLogins();
}

describe('password rotation', () => {
  it('re-reads the password file when the re-login after a 401 is refused, and replays the call', async () => {
    const client = new ContentLibraryClient({
      url: sim.url,
      username: 'user',
      password: 'old-secret',
      refreshPassword: () => 'new-secret',
    });
    try {
      await client.listLibraries();
      await rotate('new-secret');
      const before = sim.stats.calls('session.create');
      expect(await client.listLibraries()).toEqual([]);
      // The old password once (refused), the fresh one once.
      expect(sim.stats.calls('session.create') - before).toBe(2);
      expect(sim.stats.logins()).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('without a way to re-read the password, the same rotation is a permanent UnauthenticatedError', async () => {
    const client = new ContentLibraryClient({ url: sim.url, username: 'user', password: 'old-secret' });
    try {
      await client.listLibraries();
      await rotate('new-secret');
      const e = await failureOf(client.listLibraries());
      expect(e.name).toBe('UnauthenticatedError');
      expect(e.retryable).toBe(false);
    } finally {
      await client.close();
    }
  });

  it('tries a refused password once when the re-read one is the same, and names neither in the error', async () => {
    let reads = 0;
    const client = new ContentLibraryClient({
      url: sim.url,
      username: 'user',
      password: 'stale-secret',
      refreshPassword: () => {
        reads++;
        return 'stale-secret';
      },
    });
    try {
      const e = await failureOf(client.listLibraries());
      expect(e.name).toBe('UnauthenticatedError');
      expect(e.retryable).toBe(false);
      expect(e.message).toContain('the password read again is unchanged');
      expect(e.message).not.toContain('stale-secret');
      expect(reads).toBe(1);
      expect(sim.stats.calls('session.create')).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('reports an unreadable password file with the refusal, naming the file but not the password', async () => {
    const client = new ContentLibraryClient({
      url: sim.url,
      username: 'user',
      password: 'stale-secret',
      refreshPassword: () => {
        throw new Error(`cannot read the vCenter password file ${passwordFile}: ENOENT`);
      },
    });
    try {
      const e = await failureOf(client.listLibraries());
      expect(e.name).toBe('UnauthenticatedError');
      expect(e.message).toContain(
        `re-reading the password failed: cannot read the vCenter password file ${passwordFile}`,
      );
      expect(e.message).not.toContain('stale-secret');
    } finally {
      await client.close();
    }
  });

  it('a worker pool configured with CLO_VCENTER_<NAME>_PASSWORD_FILE follows a rotated file', async () => {
    const config = loadConfig({
      CLO_VCENTER_LAB_URL: sim.url,
      CLO_VCENTER_LAB_USERNAME: 'user',
      CLO_VCENTER_LAB_PASSWORD_FILE: passwordFile,
      CLO_VCENTER_LAB_ALLOW_PLAIN_HTTP: 'true',
    });
    const pool = new VCenterClients(config);
    try {
      await pool.get('lab').listLibraries();
      await rotate('new-secret');
      expect(await pool.get('lab').listLibraries()).toEqual([]);
      await rotate('newer-secret');
      expect(await pool.get('lab').listLibraries()).toEqual([]);
    } finally {
      await pool.close();
    }
  });
});

describe('logout', () => {
  const pool = () =>
    new VCenterClients(
      loadConfig({
        CLO_VCENTER_LAB_URL: sim.url,
        CLO_VCENTER_LAB_USERNAME: 'user',
        CLO_VCENTER_LAB_PASSWORD_FILE: passwordFile,
        CLO_VCENTER_LAB_ALLOW_PLAIN_HTTP: 'true',
        CLO_VCENTER_OTHER_URL: sim.url,
        CLO_VCENTER_OTHER_USERNAME: 'user',
        CLO_VCENTER_OTHER_PASSWORD_FILE: passwordFile,
        CLO_VCENTER_OTHER_ALLOW_PLAIN_HTTP: 'true',
      }),
    );

  it('close() ends the login session of every pooled client on the server', async () => {
    const vcenters = pool();
    await vcenters.get('lab').listLibraries();
    await vcenters.get('other').listLibraries();
    expect(sim.stats.logins()).toBe(2);
    await vcenters.close();
    expect(sim.stats.logins()).toBe(0);
    expect(sim.stats.calls('session.delete')).toBe(2);
  });

  it('drop() logs one client out, and the next get() logs in afresh', async () => {
    const vcenters = pool();
    try {
      await vcenters.get('lab').listLibraries();
      await vcenters.drop('lab');
      expect(sim.stats.logins()).toBe(0);
      await vcenters.get('lab').listLibraries();
      expect(sim.stats.logins()).toBe(1);
    } finally {
      await vcenters.close();
    }
  });

  it('close() still closes when the logout does not answer, within the logout timeout', async () => {
    const vcenters = pool();
    await vcenters.get('lab').listLibraries();
    sim.faults.addLatency({ operation: 'session.delete', ms: LOGOUT_TIMEOUT_MS + 2000, count: 1 });
    const started = Date.now();
    await vcenters.close();
    expect(Date.now() - started).toBeLessThan(LOGOUT_TIMEOUT_MS + 1500);
  });
});
