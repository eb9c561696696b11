// The doctor on a pipeline with webhooks: a NOTIFY_* variable the worker lacks is a warning with its fix.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diagnose, type DoctorFacts } from '../../../src/domain/doctor.js';
import { validatePipeline } from '../../../src/domain/pipeline.js';

const pipeline = validatePipeline({
  apiVersion: 'harbor-promote/v1',
  registry: 'harbor.example.com',
  environments: [
    { name: 'dev', project: 'platform-dev', scan: false },
    { name: 'prod', project: 'platform-prod', scan: false },
  ],
  notify: [{ urlEnv: 'NOTIFY_SLACK_URL', events: ['failed'], secretEnv: 'NOTIFY_SLACK_SECRET' }],
});

const facts = (notifyEnv: Record<string, boolean>): DoctorFacts => ({
  harbor: { url: 'https://harbor.example.com', username: 'robot$promoter', unreachable: 'skipped here' },
  projects: {},
  notifyEnv,
});

describe('doctor: notify', () => {
  it('passes when the worker has every variable the webhooks name', () => {
    const checks = diagnose(pipeline, facts({ NOTIFY_SLACK_URL: true, NOTIFY_SLACK_SECRET: true })).checks;
    assert.deepEqual(
      checks.filter((c) => c.id.startsWith('notify:')).map((c) => [c.id, c.ok, c.warning ?? false]),
      [
        ['notify:0:urlEnv', true, false],
        ['notify:0:secretEnv', true, false],
      ],
    );
  });
  it('warns (without failing) about a variable the worker lacks, with the fix', () => {
    const checks = diagnose(pipeline, facts({ NOTIFY_SLACK_URL: true, NOTIFY_SLACK_SECRET: false })).checks;
    const c = checks.find((x) => x.id === 'notify:0:secretEnv')!;
    assert.equal(c.ok, true);
    assert.equal(c.warning, true);
    assert.match(c.message, /the worker has no NOTIFY_SLACK_SECRET/);
    assert.equal(c.fix, "set NOTIFY_SLACK_SECRET (or NOTIFY_SLACK_SECRET_FILE) in the worker's environment");
  });
});
