import { execFile, spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { cleanUp, createSandbox, runDaemon } from '../daemon-process.js';
import { checkObjects, type KubeObject } from './manifest-check.js';

afterEach(cleanUp);

const run = promisify(execFile);
const DEPLOY = fileURLToPath(new URL('../../../../deploy/', import.meta.url));
const BASE = join(DEPLOY, 'kubernetes');

/** kubectl carries kustomize (`kubectl kustomize`), which renders the base as `kubectl apply -k` would. */
const hasKubectl = spawnSync('kubectl', ['version', '--client'], { stdio: 'ignore' }).status === 0;

/** The base rendered: kustomize's output, or (without kubectl) the resources as written plus the ConfigMap the generator makes. */
async function render(): Promise<KubeObject[]> {
  if (hasKubectl) {
    const { stdout } = await run('kubectl', ['kustomize', BASE]);
    return parseAllDocuments(stdout).map((doc) => doc.toJS() as KubeObject);
  }
  process.stderr.write('deploy test: kubectl not installed; checking the resources as written, without kustomize\n');
  const kustomization = (parseAllDocuments(await readFile(join(BASE, 'kustomization.yaml'), 'utf8'))[0]!.toJS()) as { resources: string[]; configMapGenerator: { name: string; files: string[] }[] };
  const objects: KubeObject[] = [];
  for (const file of kustomization.resources) objects.push(...parseAllDocuments(await readFile(join(BASE, file), 'utf8')).map((doc) => doc.toJS() as KubeObject));
  for (const generator of kustomization.configMapGenerator) {
    const data = Object.fromEntries(await Promise.all(generator.files.map(async (file) => [file, await readFile(join(BASE, file), 'utf8')] as const)));
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: generator.name }, data });
  }
  return objects;
}

function only<T extends KubeObject>(objects: readonly KubeObject[], kind: string): T {
  const found = objects.filter((object) => object.kind === kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as T;
}

interface Container {
  ports: { name: string; containerPort: number; protocol: string }[];
  readinessProbe: { httpGet: { path: string; port: string } };
  livenessProbe: { httpGet: { path: string; port: string } };
  securityContext: { readOnlyRootFilesystem: boolean; allowPrivilegeEscalation: boolean };
  volumeMounts: { name: string; mountPath: string; subPath?: string }[];
}
type DeploymentObject = KubeObject & { spec: { replicas: number; template: { spec: { terminationGracePeriodSeconds: number; securityContext: { runAsNonRoot: boolean }; containers: Container[]; volumes: { name: string; emptyDir?: object; configMap?: { name: string } }[] } } } };
type ServiceObject = KubeObject & { spec: { ports: { port: number; targetPort: string; protocol: string }[] } };
interface Config {
  servers: { name: string; listen: string; drainMs?: number }[];
  metrics: { listen: string };
  shutdownDelayMs?: number;
}

/** The Dockerfile's instructions (continuations joined, comments dropped), the last stage's only. */
async function finalStage(): Promise<{ instruction: string; args: string }[]> {
  const text = (await readFile(join(DEPLOY, 'Dockerfile'), 'utf8')).replace(/\\\n/g, ' ');
  const lines = text.split('\n').map((line) => line.trim()).filter((line) => line !== '' && !line.startsWith('#'));
  const steps = lines.map((line) => ({ instruction: line.split(/\s+/)[0]!.toUpperCase(), args: line.slice(line.indexOf(' ') + 1).trim() }));
  return steps.slice(steps.map((step) => step.instruction).lastIndexOf('FROM'));
}

/** The value after `flag` in an exec-form argument list. */
function flagOf(argv: readonly string[], flag: string): string {
  const at = argv.indexOf(flag);
  expect(at, flag).toBeGreaterThan(0);
  return argv[at + 1]!;
}

describe('deploy/: the image and the kustomize base, checked offline', () => {
  it('every object passes kubernetes-models, unknown keys refused (and the check does refuse one)', async () => {
    const objects = await render();
    expect(objects.map((object) => object.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'Service']);
    expect(await checkObjects(objects)).toEqual([]);
    const deployment = only<DeploymentObject>(objects, 'Deployment');
    const typo = structuredClone(deployment);
    (typo.spec.template.spec.containers[0] as unknown as Record<string, unknown>).readinesProbe = {};
    const problems = await checkObjects([typo]);
    expect(problems.join('\n')).toContain(`'"readinesProbe"' does not exist in type 'IContainer'`);
  }, 180_000);

  it('the Deployment: 2 replicas, /readyz and /healthz on the metrics port, a grace period above the delay and the longest drain, emptyDir state and runtime, a read-only root; the Service: tcp and udp', async () => {
    const objects = await render();
    const config = JSON.parse((only<KubeObject & { data: Record<string, string> }>(objects, 'ConfigMap')).data['evergreend.json']!) as Config;
    const deployment = only<DeploymentObject>(objects, 'Deployment');
    const pod = deployment.spec.template.spec;
    const [container] = pod.containers;
    expect(deployment.spec.replicas).toBe(2);
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(container!.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });

    const metricsPort = Number(new URL(config.metrics.listen).port);
    const named = (name: string) => container!.ports.find((port) => port.name === name)!;
    expect(container!.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container!.livenessProbe.httpGet.path).toBe('/healthz');
    expect(named(container!.readinessProbe.httpGet.port).containerPort).toBe(metricsPort);
    expect(named(container!.livenessProbe.httpGet.port).containerPort).toBe(metricsPort);

    const longestDrainMs = Math.max(...config.servers.map((server) => server.drainMs ?? 10_000));
    expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan((config.shutdownDelayMs ?? 0) + longestDrainMs);
    expect(config.shutdownDelayMs).toBeGreaterThan(0);

    // The image's command puts the config, state and control socket where the volumes are.
    const cmd = JSON.parse((await finalStage()).find((step) => step.instruction === 'CMD')!.args) as string[];
    const mountOf = (path: string) => container!.volumeMounts.find((mount) => path === mount.mountPath || path.startsWith(`${mount.mountPath}/`));
    const volumeOf = (path: string) => pod.volumes.find((volume) => volume.name === mountOf(path)?.name);
    expect(volumeOf(flagOf(cmd, '--state-dir'))?.emptyDir).toBeDefined();
    expect(volumeOf(flagOf(cmd, '--socket'))?.emptyDir).toBeDefined();
    expect(volumeOf(flagOf(cmd, '--config'))?.configMap?.name).toBe(only(objects, 'ConfigMap').metadata.name);
    // A subPath mount never sees a ConfigMap update: --watch-config needs the directory.
    expect(mountOf(flagOf(cmd, '--config'))).toMatchObject({ mountPath: dirname(flagOf(cmd, '--config')) });
    expect(mountOf(flagOf(cmd, '--config'))?.subPath).toBeUndefined();
    expect(cmd).toContain('--watch-config');

    // Every server's port is in the Service, with its protocol.
    const service = only<ServiceObject>(objects, 'Service');
    const exposed = service.spec.ports.map((port) => `${port.protocol}/${port.port}`);
    for (const server of config.servers) {
      const url = new URL(server.listen);
      expect(exposed).toContain(`${url.protocol === 'udp:' ? 'UDP' : 'TCP'}/${url.port}`);
    }
    expect(new Set(service.spec.ports.map((port) => port.protocol))).toEqual(new Set(['TCP', 'UDP']));
  });

  it('the config the ConfigMap carries passes evergreend --check', async () => {
    const objects = await render();
    const sandbox = await createSandbox();
    await writeFile(sandbox.configFile, only<KubeObject & { data: Record<string, string> }>(objects, 'ConfigMap').data['evergreend.json']!);
    const result = await runDaemon(sandbox, ['--check', '--config', sandbox.configFile, '--socket', sandbox.socket]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('echo: tcp://0.0.0.0:7007 -> echo');
    expect(result.stdout).toContain('echo-udp: udp://0.0.0.0:7007 -> echo');
  });

  it('the Dockerfile: Node 24 slim, production dependencies, a user that is not root, exec-form CMD, STOPSIGNAL SIGTERM', async () => {
    const text = await readFile(join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(text).toMatch(/npm ci --omit=dev/);
    const stage = await finalStage();
    const value = (instruction: string) => stage.filter((step) => step.instruction === instruction).map((step) => step.args);
    expect(value('FROM')).toEqual(['node:24-slim']);
    expect(value('USER')).toHaveLength(1);
    expect(value('USER')[0]).not.toMatch(/^(root|0)(:|$)/);
    expect(value('STOPSIGNAL')).toEqual(['SIGTERM']);
    const cmd = JSON.parse(value('CMD')[0]!) as unknown;
    expect(Array.isArray(cmd) && cmd.every((word) => typeof word === 'string')).toBe(true);
    expect(cmd).toEqual(expect.arrayContaining(['apps/daemon/bin/evergreend.mjs']));
  });
});
