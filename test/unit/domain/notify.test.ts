import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePipelineYaml } from '../../../src/domain/pipeline-file.js';
import { PipelineError } from '../../../src/domain/pipeline.js';

const file = (notify: string) =>
  `apiVersion: harbor-promote/v1\nregistry: harbor.example.com\nenvironments:\n  - { name: dev, project: platform-dev }\n  - { name: prod, project: platform-prod }\nnotify:\n${notify}`;
const problems = (yaml: string) => {
  try {
    parsePipelineYaml(yaml);
  } catch (e) {
    assert.ok(e instanceof PipelineError, String(e));
    return e.problems;
  }
  assert.fail('expected the pipeline to be rejected');
};

describe('notify in a pipeline file', () => {
  it('accepts a webhook with events, a signing secret by name, and a URL from the worker', () => {
    const p = parsePipelineYaml(
      file(
        '  - { url: "https://hooks.example.com/hp", events: [failed, completed], secretEnv: NOTIFY_HP_SECRET }\n  - { urlEnv: NOTIFY_SLACK_URL, events: [waiting-approval] }\n',
      ),
    );
    assert.deepEqual(
      p.notify!.map((w) => [w.url ?? w.urlEnv, w.events, w.attempts]),
      [
        ['https://hooks.example.com/hp', ['failed', 'completed'], 4],
        ['NOTIFY_SLACK_URL', ['waiting-approval'], 4],
      ],
    );
  });

  it('names the field and the fix; never a secret in the file, never a worker secret by name', () => {
    const cases: [string, string][] = [
      [
        '  - { url: "https://hooks.example.com/", events: [completed], secretEnv: HARBOR_PASSWORD }\n',
        'notify[0].secretEnv: must name a worker environment variable starting with NOTIFY_ (e.g. NOTIFY_SLACK_SECRET); the worker reads only those for notifications',
      ],
      [
        '  - { url: "https://user:pw@hooks.example.com/", events: [completed] }\n',
        'notify[0].url: contains credentials; remove them (name a worker environment variable in `urlEnv` or `secretEnv` instead)',
      ],
      ['  - { url: "file:///etc/passwd", events: [completed] }\n', 'notify[0].url: must be an http(s) URL'],
      [
        '  - { url: "https://hooks.example.com/", events: [deployed] }\n',
        'notify[0].events[0]: must be one of waiting-approval, waiting-report, frozen, failed, completed, superseded, rolled-back',
      ],
      [
        '  - { url: "https://hooks.example.com/", events: [completed], attempts: 100 }\n',
        'notify[0].attempts: must be at most 6; a webhook that is down longer is recorded as failed',
      ],
      [
        '  - { url: "https://hooks.example.com/", urlEnv: NOTIFY_X, events: [completed] }\n',
        'notify[0]: gives both `url` and `urlEnv`; give one',
      ],
      ['  - { events: [completed] }\n', 'notify[0]: says nowhere to send; give `url` or `urlEnv`'],
    ];
    for (const [notify, want] of cases) {
      const got = problems(file(notify));
      assert.ok(got.includes(want), `expected\n  ${want}\namong\n  ${got.join('\n  ')}`);
    }
  });
});
