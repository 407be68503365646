import type { ServerSpec } from '../../protocol/server-spec.js';
import type { Conflict, ServerOrigin } from '../../protocol/results.js';
import type { DaemonState } from './state-file.js';

/** A server the daemon should run, and where its definition comes from. */
export interface PlannedServer {
  spec: ServerSpec;
  origin: ServerOrigin;
}

/** A spec's canonical text: two specs are the same server when these are equal. */
export function specKey(spec: ServerSpec | undefined | null): string | null {
  return spec === undefined || spec === null ? null : JSON.stringify(sortedKeys(spec));
}

function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (typeof value !== 'object' || value === null) return value;
  const entries = Object.entries(value).filter(([, field]) => field !== undefined);
  return Object.fromEntries(entries.sort(([a], [b]) => (a < b ? -1 : 1)).map(([key, field]) => [key, sortedKeys(field)]));
}

/**
 * The servers to run: the config's, with runtime changes applied over them
 * (a runtime change wins: it was made after the config was read). A runtime
 * change whose config entry has changed since (it was based on another
 * version of the config) is a conflict: the runtime change still wins, and
 * the conflict is reported so the operator chooses.
 */
export function plannedServers(configServers: readonly ServerSpec[], state: DaemonState): { servers: Map<string, PlannedServer>; conflicts: Conflict[] } {
  const servers = new Map<string, PlannedServer>(configServers.map((spec) => [spec.name, { spec, origin: 'config' }]));
  const conflicts: Conflict[] = [];
  for (const [name, change] of Object.entries(state.runtime)) {
    const inConfig = servers.get(name)?.spec;
    if (specKey(inConfig) !== change.configBase) {
      const now = inConfig === undefined ? 'is no longer in the config' : change.configBase === null ? 'is now also defined in the config' : 'has changed in the config';
      const kept = change.spec === null ? 'stays removed' : 'keeps its runtime definition';
      conflicts.push({ name, reason: `"${name}" was ${change.spec === null ? 'removed' : 'changed'} at runtime and ${now}; it ${kept} (remove or re-add it to choose)` });
    }
    if (change.spec === null) servers.delete(name);
    else servers.set(name, { spec: change.spec, origin: 'runtime' });
  }
  return { servers, conflicts };
}
