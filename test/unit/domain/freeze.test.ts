import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { activeFreeze, FreezeWindowSpec, type FreezeWindow } from '../../../src/domain/freeze.js';
import { parsePipelineYaml } from '../../../src/domain/pipeline-file.js';
import { PipelineError } from '../../../src/domain/pipeline.js';
import { plannedEnvironments, PromotionInputSchema } from '../../../src/domain/promotion.js';

const t = (iso: string) => Date.parse(iso);
const win = (w: unknown): FreezeWindow => FreezeWindowSpec.parse(w);

describe('activeFreeze', () => {
  // Fridays 18:00 Berlin for 64 h (to Monday 10:00); 2026-12-04 is a Friday, Berlin is UTC+1 in winter.
  const weekend = win({ cron: '0 18 * * 5', duration: '64h', timeZone: 'Europe/Berlin', reason: 'weekend' });

  it('a recurring window holds from its start, in its time zone, for its duration', () => {
    assert.equal(activeFreeze([weekend], t('2026-12-04T16:59:59Z')), undefined);
    assert.deepEqual(activeFreeze([weekend], t('2026-12-04T17:00:00Z')), {
      until: t('2026-12-07T09:00:00Z'),
      reason: 'weekend',
      index: 0,
    });
    assert.equal(activeFreeze([weekend], t('2026-12-06T12:00:00Z'))?.until, t('2026-12-07T09:00:00Z'));
    assert.equal(activeFreeze([weekend], t('2026-12-07T09:00:00Z')), undefined);
  });

  it('follows daylight saving time of the zone', () => {
    // July: Berlin is UTC+2, so 18:00 local is 16:00Z.
    assert.equal(activeFreeze([weekend], t('2026-07-03T15:59:00Z')), undefined);
    assert.equal(activeFreeze([weekend], t('2026-07-03T16:00:00Z'))?.reason, 'weekend');
  });

  it('a fixed window, with an offset or read in its time zone', () => {
    const xmas = win({
      start: '2026-12-24T00:00',
      end: '2026-12-27T00:00',
      timeZone: 'Europe/Berlin',
      reason: 'xmas',
    });
    const utc = win({ start: '2026-12-24T00:00Z', end: '2026-12-24T06:00+01:00', reason: 'utc' });
    assert.equal(activeFreeze([xmas], t('2026-12-23T22:59:59Z')), undefined);
    assert.equal(activeFreeze([xmas], t('2026-12-23T23:00:00Z'))?.until, t('2026-12-26T23:00:00Z'));
    assert.equal(activeFreeze([utc], t('2026-12-24T04:59:59Z'))?.until, t('2026-12-24T05:00:00Z'));
    assert.equal(activeFreeze([utc], t('2026-12-24T05:00:00Z')), undefined);
  });

  it('of overlapping windows, the one that ends last', () => {
    const a = win({ start: '2026-01-01T00:00Z', end: '2026-01-01T02:00Z', reason: 'a' });
    const b = win({ start: '2026-01-01T01:00Z', end: '2026-01-01T05:00Z', reason: 'b' });
    assert.deepEqual(activeFreeze([a, b], t('2026-01-01T01:30:00Z')), {
      until: t('2026-01-01T05:00:00Z'),
      reason: 'b',
      index: 1,
    });
    assert.equal(activeFreeze([a, b], t('2026-01-01T00:30:00Z'))?.reason, 'a');
  });
});

describe('freeze in a pipeline file', () => {
  const file = (freeze: string, shared = '') =>
    `apiVersion: harbor-promote/v1\nregistry: harbor.example.com\n${shared}environments:\n  - { name: dev, project: platform-dev }\n  - name: prod\n    project: platform-prod\n    freeze:\n${freeze}`;
  const problems = (yaml: string) => {
    try {
      parsePipelineYaml(yaml);
    } catch (e) {
      assert.ok(e instanceof PipelineError, String(e));
      return e.problems;
    }
    assert.fail('expected the pipeline to be rejected');
  };

  it('names the field and the fix', () => {
    const cases: [string, string][] = [
      [
        '      - { cron: "0 18 * *", duration: 64h, timeZone: UTC, reason: r }\n',
        'environments[1].freeze[0].cron: "0 18 * *" is not a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 18 * * 5" for Fridays at 18:00',
      ],
      [
        '      - { cron: "0 0 18 * * 5", duration: 64h, timeZone: UTC, reason: r }\n',
        'environments[1].freeze[0].cron: "0 0 18 * * 5" is not a 5-field cron expression (minute hour day-of-month month day-of-week), e.g. "0 18 * * 5" for Fridays at 18:00',
      ],
      [
        '      - { cron: "0 18 * * 5", duration: 64h, reason: r }\n',
        'environments[1].freeze[0].timeZone: is required with `cron`; e.g. "Europe/Berlin" or "UTC"',
      ],
      [
        '      - { cron: "0 18 * * 5", duration: 64h, timeZone: Mars/Base, reason: r }\n',
        'environments[1].freeze[0].timeZone: "Mars/Base" is not an IANA time zone; write e.g. "Europe/Berlin", "America/New_York" or "UTC"',
      ],
      [
        '      - { start: "2026-12-24T00:00", end: "2026-12-27T00:00", reason: r }\n',
        'environments[1].freeze[0].start: "2026-12-24T00:00" has no offset; add one (e.g. "2026-12-24T00:00+01:00") or give `timeZone`',
      ],
      [
        '      - { start: "2026-12-27T00:00Z", end: "2026-12-24T00:00Z", reason: r }\n',
        'environments[1].freeze[0].end: "2026-12-24T00:00Z" is not after start "2026-12-27T00:00Z"; swap them or fix the date',
      ],
      [
        '      - { start: "2026-12-24T00:00Z", end: "2026-12-27T00:00Z" }\n',
        'environments[1].freeze[0].reason: is required; it must say why (e.g. "year-end change freeze")',
      ],
      [
        '      - { cron: "0 18 * * 5", duration: 99999d, timeZone: UTC, reason: r }\n',
        'environments[1].freeze[0].duration: "99999d" is longer than the longest wait harbor-promote allows (3650d, about 10 years; Temporal timers end at about 100 years); give a shorter duration',
      ],
      [
        '      - { start: "2026-02-30T10:00", end: "2026-03-02T00:00", timeZone: Europe/Berlin, reason: r }\n',
        'environments[1].freeze[0].start: "2026-02-30T10:00" is not a real date and time; write an ISO date-time such as "2026-12-24T00:00" (with `timeZone`) or "2026-12-24T00:00+01:00"',
      ],
      [
        '      - { start: "2026-13-01T00:00Z", end: "2026-12-24T00:00Z", reason: r }\n',
        'environments[1].freeze[0].start: "2026-13-01T00:00Z" is not a real date and time; write an ISO date-time such as "2026-12-24T00:00" (with `timeZone`) or "2026-12-24T00:00+01:00"',
      ],
      [
        '      - { cron: 5, duration: 1h, timeZone: UTC, reason: r }\n',
        'environments[1].freeze[0].cron: must be a 5-field cron expression in quotes, e.g. "0 18 * * 5"',
      ],
      [
        '      - { cron: "61 * * * *", duration: 1h, timeZone: UTC, reason: r }\n',
        'environments[1].freeze[0].cron: "61 * * * *" is not a valid cron expression (Invalid value for minute: 61); e.g. "0 18 * * 5" for Fridays at 18:00',
      ],
      [
        '      - { cron: "0 18 * * 5", duration: 64h, timeZone: UTC, start: "2026-12-24T00:00Z", reason: r }\n',
        'environments[1].freeze[0]: mixes a recurring window (cron, duration) with a fixed one (start, end); give one kind per window',
      ],
      [
        '      - { cron: "0 0 31 2 *", duration: 1h, timeZone: UTC, reason: r }\n',
        'environments[1].freeze[0].cron: "0 0 31 2 *" never matches a time (e.g. February 31st); fix the day or the month',
      ],
    ];
    for (const [freeze, want] of cases) {
      const got = problems(file(freeze));
      assert.ok(got.includes(want), `expected\n  ${want}\namong\n  ${got.join('\n  ')}`);
    }
  });

  it('pipeline-wide windows hold every destination, before the environment’s own', () => {
    const shared = 'freeze:\n  - { start: "2026-12-24T00:00Z", end: "2026-12-27T00:00Z", reason: xmas }\n';
    const pipeline = parsePipelineYaml(
      file('      - { cron: "0 18 * * 5", duration: 64h, timeZone: UTC, reason: weekend }\n', shared),
    );
    const envs = plannedEnvironments(
      PromotionInputSchema.parse({ pipeline, repository: 'svc', reference: '1' }),
    );
    assert.equal(envs[0]!.freeze, undefined);
    assert.deepEqual(
      envs[1]!.freeze!.map((w) => w.reason),
      ['xmas', 'weekend'],
    );
  });
});
