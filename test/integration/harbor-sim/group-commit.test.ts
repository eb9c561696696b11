// The sim writes its state once for all the changes made in one turn of the event loop (group commit), and
// holds each response until its change is on disk. Before, every change wrote the whole state at once: in
// a bulk drain of 200 promotions (5 MB of state at 3,600 artifacts) that was about 0.4 s of sim CPU per
// promotion.
import assert from 'node:assert/strict';
import fs, { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, mock, test } from 'node:test';
import { emptyState, Store } from '../../../dev/harbor-sim/store';
import { api, CLEAN, pushTestImage, target, type Target } from './util';

let t: Target;
before(async () => {
  t = await target();
});
after(async () => {
  await t?.stop();
});

test('40 changes in one turn of the event loop are written once; each waiter runs after the write', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hsim-store-'));
  const store = Store.open(dir, () => emptyState('k'));
  const renames = mock.method(fs, 'renameSync');
  try {
    const seen: boolean[] = [];
    for (let i = 0; i < 40; i++) {
      store.state.users.push({ id: i } as never);
      store.save();
      store.whenSaved(() => {
        const saved = JSON.parse(readFileSync(join(dir, 'state.json'), 'utf8')) as {
          users: { id: number }[];
        };
        seen.push(saved.users.some((u) => u.id === i));
      });
    }
    assert.equal(seen.length, 0, 'no waiter runs before the write');
    await new Promise((r) => setImmediate(r));
    const writes = renames.mock.calls.filter((c) => String(c.arguments[1]).startsWith(dir)).length;
    assert.equal(writes, 1, 'one write for 40 changes');
    assert.deepEqual(seen, Array(40).fill(true), 'every change is on disk when its waiter runs');
    let ran = false;
    store.whenSaved(() => (ran = true));
    assert.ok(ran, 'with nothing pending a waiter runs at once');
  } finally {
    renames.mock.restore();
  }
});

test('each of 40 tag creations sent at once is on disk when its 201 arrives', async () => {
  await pushTestImage(t, 'platform-dev/group-commit', 'v1', CLEAN);
  const state = join(t.stack!.dataDir, 'state.json');
  const tags = Array.from({ length: 40 }, (_, i) => `g${i}`);
  const onDisk = await Promise.all(
    tags.map(async (name) => {
      const r = await api(t, 'POST', '/projects/platform-dev/repositories/group-commit/artifacts/v1/tags', {
        body: { name },
      });
      assert.equal(r.status, 201, r.text);
      const saved = JSON.parse(readFileSync(state, 'utf8')) as { tags: { name: string }[] };
      return saved.tags.some((x) => x.name === name);
    }),
  );
  assert.deepEqual(
    tags.filter((_, i) => !onDisk[i]),
    [],
  );
});
