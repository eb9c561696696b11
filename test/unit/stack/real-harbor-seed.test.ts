/**
 * Real Harbor is seeded with what harbor-sim seeds (dev/harbor-real/seed-data.ts is kept beside
 * dev/harbor-sim/seed.ts by hand): the same projects with the same policies, the same robots with the same
 * permissions. A change to one seed without the other fails here, before any stack runs.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { seed } from '../../../dev/harbor-sim/seed';
import { emptyState, Store } from '../../../dev/harbor-sim/store';
import { ROBOT_PERMISSIONS, SEED_PROJECTS } from '../../../dev/harbor-real/seed-data';

type Perm = { kind: string; namespace: string; access: { resource: string; action: string }[] };

/** Order-free form of a permission list: "namespace resource:action" lines, deduplicated and sorted. */
const flat = (perms: Perm[]) =>
  [
    ...new Set(
      perms.flatMap((p) => p.access.map((a) => `${p.kind} ${p.namespace} ${a.resource}:${a.action}`)),
    ),
  ].sort();

describe('real-Harbor seed matches the harbor-sim seed', () => {
  const store = new Store('/nonexistent-never-saved', emptyState('unused'));
  seed(store);

  it('has the same projects with the same policies', () => {
    const sim = store.state.projects.map((p) => ({ name: p.name, metadata: p.metadata }));
    const real = SEED_PROJECTS.map((p) => ({ name: p.name, metadata: { public: 'false', ...p.metadata } }));
    assert.deepEqual(real, sim);
  });

  it('has the same robots with the same permissions', () => {
    const sim = store.state.robots.map((r) => ({ name: r.name, level: r.level, perms: flat(r.permissions) }));
    const real = ROBOT_PERMISSIONS.map((r) => ({
      name: r.fullName,
      level: r.level,
      perms: flat(r.permissions),
    }));
    assert.deepEqual(real, sim);
  });
});
