import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ConfigMap, Service } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';

const run = promisify(execFile);

/** A Kubernetes object as a manifest holds it. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [key: string]: unknown };
  [key: string]: unknown;
}

/** The kubernetes-models class of each kind the manifests use, and the module and interface its type lives in. */
const MODELS: Record<string, { model: new (data: never) => { validate(): void }; module: string; type: string }> = {
  'apps/v1/Deployment': { model: Deployment, module: 'kubernetes-models/apps/v1/Deployment', type: 'IDeployment' },
  'v1/Service': { model: Service, module: 'kubernetes-models/v1/Service', type: 'IService' },
  'v1/ConfigMap': { model: ConfigMap, module: 'kubernetes-models/v1/ConfigMap', type: 'IConfigMap' },
};

/**
 * Checks `objects` with kubernetes-models, offline: each through its
 * model's schema (`validate()`: types, required fields, formats), and — since
 * those schemas let unknown keys through — each as an object literal typed
 * with the model's interface, compiled by tsc, whose excess-property check
 * refuses any key the API does not have, at any depth. Resolves the
 * problems found (none: an empty list). Cost: one tsc run (a few seconds).
 */
export async function checkObjects(objects: readonly KubeObject[]): Promise<string[]> {
  const problems: string[] = [];
  const typed: string[] = [];
  const imports = new Map<string, string>();
  objects.forEach((object, index) => {
    const entry = MODELS[`${object.apiVersion}/${object.kind}`];
    if (entry === undefined) {
      problems.push(`${object.kind} ${object.metadata.name}: no model for ${object.apiVersion} ${object.kind}`);
      return;
    }
    try {
      new entry.model(object as never).validate();
    } catch (error) {
      problems.push(`${object.kind} ${object.metadata.name}: ${(error as Error).message}`);
    }
    imports.set(entry.type, typesOf(entry.module));
    typed.push(`export const object${index}: ${entry.type} = ${JSON.stringify(object, null, 2)};`);
  });
  return [...problems, ...(await compile([...[...imports].map(([type, file]) => `import type { ${type} } from ${JSON.stringify(file)};`), ...typed].join('\n')))];
}

/** The absolute path of a model module's declarations (the check file lives in a temp dir, outside this package's node_modules). */
function typesOf(module: string): string {
  return fileURLToPath(import.meta.resolve(`${dirname(module)}`)).replace(/index\.js$/, `${module.split('/').pop()}.js`);
}

async function compile(source: string): Promise<string[]> {
  const dir = await mkdtemp(join(tmpdir(), 'evergreen-manifests-'));
  try {
    const file = join(dir, 'manifests.mts');
    await writeFile(file, source);
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const args = [tsc, '--noEmit', '--strict', '--skipLibCheck', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', file];
    await run(process.execPath, args, { timeout: 120_000 });
    return [];
  } catch (error) {
    const output = (error as { stdout?: string }).stdout ?? String(error);
    return output.split('\n').filter((line) => line.includes('error TS')).map((line) => line.replace(/^.*manifests\.mts/, 'manifests'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
