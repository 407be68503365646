import { chmod, copyFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestCertificates } from '@evergreen/tls/testing';
import { DaemonClient } from '../../src/ctl/daemon-client.js';
import { createSandbox, startDaemon, type DaemonProcess, type Sandbox } from '../daemon-process.js';

/** A sandbox whose `certs/` (beside the config file) holds copies of the test certificates, keys mode 0600. */
export async function sandboxWithCertificates(certs: TestCertificates): Promise<Sandbox> {
  const sandbox = await createSandbox();
  await mkdir(join(sandbox.dir, 'certs'));
  for (const name of ['ca', 'server', 'server-renewed', 'alice', 'mallory', 'expired'] as const) {
    const identity = name === 'server-renewed' ? certs.renewedServer : certs[name];
    await copyFile(identity.certPath, join(sandbox.dir, 'certs', `${name}.crt`));
    await copyFile(identity.keyPath, join(sandbox.dir, 'certs', `${name}.key`));
    await chmod(join(sandbox.dir, 'certs', `${name}.key`), 0o600);
  }
  return sandbox;
}

/** Starts evergreend on `config` in `sandbox`; resolves it, its servers' bound URIs, and a control client (closed by the caller's teardown with the daemon). */
export async function daemonFromConfig(sandbox: Sandbox, config: object): Promise<{ daemon: DaemonProcess; uris: string[]; control: DaemonClient }> {
  await sandbox.writeConfig(config);
  const daemon = startDaemon(sandbox, ['--config', sandbox.configFile]);
  const uris = await daemon.started();
  const control = await DaemonClient.connect(sandbox.socket);
  return { daemon, uris, control };
}
