import { chmod } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeCertificates, opensslVersion, type TestCertificates } from '@evergreen/tls/testing';
import { RpcError } from '../../src/protocol/rpc-error.js';
import { cleanUp, runDaemon } from '../daemon-process.js';
import { daemonFromConfig, sandboxWithCertificates } from './config-sandbox.js';

afterEach(cleanUp);

describe.skipIf(opensslVersion === undefined)('tls blocks that cannot work are refused, naming where', () => {
  let certs: TestCertificates;
  beforeAll(() => {
    certs = makeCertificates();
  });
  afterAll(() => certs?.remove());

  const tls = { cert: 'certs/server.crt', key: 'certs/server.key' };
  const server = (more: object) => ({ name: 'api', listen: 'tls://127.0.0.1:0', handler: { type: 'echo' }, ...more });

  it.each([
    ['a tls:// listen without a tls block', server({}), 'servers[0].tls: got nothing; expected a tls block'],
    ['a tls block on a tcp:// listen', server({ listen: 'tcp://127.0.0.1:0', tls }), 'servers[0].tls: got {"cert":"certs/server.crt","key":"certs/server.key"}; expected no tls block'],
    ['an unknown field in the tls block', server({ tls: { ...tls, verify: false } }), 'servers[0].tls.verify'],
    ['an allow-list without client certificates', server({ tls: { ...tls, allow: { cn: ['billing'] } } }), 'servers[0].tls.allow'],
    ['a forward tls block toward a tcp:// target', server({ handler: { type: 'forward', target: 'tcp://127.0.0.1:1', tls: { ca: 'certs/ca.crt' } }, tls }), 'servers[0].handler.tls'],
    ['a forward tls block with a cert and no key', server({ handler: { type: 'forward', target: 'tls://localhost:1', tls: { cert: 'certs/alice.crt' } }, tls }), 'servers[0].handler.tls.key'],
    ['a certificate file that is not there', server({ tls: { ...tls, cert: 'certs/missing.crt' } }), 'tls.cert "certs/missing.crt" cannot be read'],
    ['a key that does not match the certificate', server({ tls: { ...tls, key: 'certs/alice.key' } }), 'tls.key "certs/alice.key" is not usable'],
    ['a forward CA file that is not there', server({ handler: { type: 'forward', target: 'tls://localhost:1', tls: { ca: 'certs/nope.crt' } }, tls }), 'handler.tls.ca "certs/nope.crt" cannot be read'],
  ])('%s: exit 2', async (_what, entry, expected) => {
    const sandbox = await sandboxWithCertificates(certs);
    await sandbox.writeConfig({ servers: [entry] });
    const run = await runDaemon(sandbox, ['--config', sandbox.configFile, '--check']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(expected);
  });

  it('servers.add refuses a tls block that does not fit with -32602 naming it, and a key file others can read is warned about at start', async () => {
    const sandbox = await sandboxWithCertificates(certs);
    await chmod(join(sandbox.dir, 'certs', 'server.key'), 0o644);
    const { daemon, control } = await daemonFromConfig(sandbox, { servers: [server({ tls })] });
    const warning = await daemon.waitForLog('TLS: the private key ' + join(sandbox.dir, 'certs', 'server.key') + ' is readable by group or others: chmod 600 it');
    expect(warning.level).toBe(40);
    // The test certificates last 2 days: inside the expiry warning's 14.
    const expiry = await daemon.waitForLine('the expiry warning', (line) => (line.includes('TLS: the certificate expires in ') ? (JSON.parse(line) as { level: number }) : undefined));
    expect(expiry.level).toBe(40);

    const refusals = await Promise.all([
      server({ name: 'no-block' }),
      server({ name: 'tcp-block', listen: 'tcp://127.0.0.1:0', tls }),
      server({ name: 'no-file', tls: { ...tls, key: join(sandbox.dir, 'certs', 'missing.key') } }),
    ].map((spec) => control.addServer(spec as never).then(() => undefined, (error: unknown) => error)));
    for (const [refusal, path] of [[refusals[0], 'tls'], [refusals[1], 'tls'], [refusals[2], 'tls.key']] as const) {
      expect(refusal).toBeInstanceOf(RpcError);
      expect((refusal as RpcError).code).toBe(-32602);
      expect(JSON.stringify((refusal as RpcError).data)).toContain(`"path":"${path}"`);
    }
    control.close();
  });
});
