/**
 * A signed OVA as packagers make one (ovftool --privateKey, VMware's OVF signing): descriptor,
 * SHA-256 manifest, and `<name>.cert` holding the manifest's signature line and the signer's
 * PEM certificate, here a self-signed one made for the test.
 */
import { createPrivateKey, sign, X509Certificate } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { makeOva, makeOvfPackage } from '../fixtures/content';

export interface SignedOva {
  path: string;
  /** The member names, descriptor first. */
  members: string[];
  /** The certificate's subject common name, and its SHA-256 fingerprint as node:crypto prints it. */
  commonName: string;
  fingerprint256: string;
}

/** Writes `<dir>/<name>.ova`, signed with a fresh self-signed certificate for CN=`<name> publisher`. */
export async function makeSignedOva(dir: string, name: string): Promise<SignedOva> {
  const ovfDir = join(dir, `${name}-ovf`);
  const pkg = await makeOvfPackage(ovfDir, { name, disks: [{ size: 64 * 1024 }] });
  const manifestName = `${name}.mf`;
  const manifest = await readFile(join(ovfDir, manifestName));
  const commonName = `${name} publisher`;
  const pems = await generate([{ name: 'commonName', value: commonName }], {
    keySize: 2048,
    algorithm: 'sha256',
  });
  // The signature line covers the manifest's bytes, which list every other file's digest.
  const signature = sign('sha256', manifest, createPrivateKey(pems.private)).toString('hex');
  await writeFile(join(ovfDir, `${name}.cert`), `SHA256(${manifestName})= ${signature}\n${pems.cert}`);
  const path = join(dir, `${name}.ova`);
  await makeOva(path, ovfDir);
  return {
    path,
    members: [`${name}.ovf`, manifestName, `${name}.cert`, ...pkg.disks.map((d) => d.name)],
    commonName,
    fingerprint256: new X509Certificate(pems.cert).fingerprint256,
  };
}
