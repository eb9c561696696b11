/**
 * `stack up` waits for each service's health; a service that exits meanwhile (a bad config, a port the
 * database refuses) fails at once with the end of its log instead of after the whole timeout.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { waitFor } from '../../../dev/stack/processes';

const dir = mkdtempSync(join(tmpdir(), 'wait-for-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('stack: waiting for a service', () => {
  it('fails at once when the process exited, quoting the end of its log', async () => {
    const log = join(dir, 'svc.log');
    writeFileSync(log, 'starting\nlisten: ok\nfatal: value "40105" is out of range for type smallint\n');
    const t = Date.now();
    await assert.rejects(
      waitFor(
        'Temporal server',
        () => Promise.resolve(false),
        60_000,
        log,
        () => false,
      ),
      /Temporal server exited while starting; see .*svc\.log:\nstarting\nlisten: ok\nfatal: value "40105" is out of range/,
    );
    assert.ok(Date.now() - t < 5_000, 'did not wait for the timeout');
  });

  it('still resolves when the check passes, and times out naming the service and log otherwise', async () => {
    await waitFor(
      'x',
      () => Promise.resolve(true),
      1_000,
      join(dir, 'none.log'),
      () => true,
    );
    await assert.rejects(
      waitFor(
        'registry',
        () => Promise.resolve(false),
        300,
        join(dir, 'r.log'),
        () => true,
      ),
      /registry did not become healthy within 0.3s; see .*r\.log/,
    );
  });
});
