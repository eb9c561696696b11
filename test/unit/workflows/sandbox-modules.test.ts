/**
 * Tracker issue 13: every workflow a worker creates evaluates its own copy of each module of the workflow
 * bundle (the SDK's reusable V8 context keeps one module cache per workflow), so a module in the sandbox
 * costs heap in every cached workflow. zod and the schemas of src/domain cost about 1 MB each; a new
 * promotion or rollback must evaluate none of them. The bundle is the real one (the SDK's bundler), run in
 * the SDK's own ReusableVMWorkflowCreator, and the module cache read is the workflow's own.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inputCheckActivities } from '../../../src/activities/input-check.js';
import { INPUT_CHECK_PATCH } from '../../../src/workflows/input-check.js';
import type { PromotionStatus } from '../../../src/workflows/messages.js';
import { input, testPipeline, WORKFLOWS_PATH } from '../../workflows/helpers.js';
import { rollbackInput } from '../../workflows/rollback-helpers.js';
import { bundle, type Command, WorkflowVm } from '../../support/workflow-vm.js';

const DOMAIN = join(__dirname, '../../../src/domain');
/** src/domain modules that import zod at run time (an `import type` is erased, so it does not count). */
const ZOD_DOMAIN = readdirSync(DOMAIN).filter((f) =>
  /^import (?!type )[^;]*from 'zod';$/m.test(readFileSync(join(DOMAIN, f), 'utf8')),
);
const zodModules = (ids: string[]) =>
  ids.filter((id) => id.includes('/node_modules/zod/') || ZOD_DOMAIN.some((f) => id === `./src/domain/${f}`));

const checks = inputCheckActivities();
const names = (cs: Command[]) =>
  Array.from(cs, (c) => Object.keys(c).find((k) => c[k as keyof Command] != null));
const failure = (cs: Command[]) => cs.find((c) => c.failWorkflowExecution)?.failWorkflowExecution?.failure;

describe('workflow sandbox: no zod in a new workflow', () => {
  let vm: WorkflowVm;
  before(async () => {
    vm = await WorkflowVm.create(await bundle(WORKFLOWS_PATH), Object.keys(checks));
  });
  after(() => vm?.destroy());

  it('the domain modules with schemas are known (the check below has something to miss)', () => {
    for (const f of ['pipeline.ts', 'promotion.ts', 'rollback.ts', 'approval-statement.ts'])
      assert.ok(ZOD_DOMAIN.includes(f), f);
  });

  it('a promotion has the worker check its input and runs on without evaluating zod', async () => {
    const raw = input(testPipeline());
    const { workflow, commands } = await vm.start('promoteImage', raw);
    assert.deepEqual(names(commands), ['setPatchMarker', 'scheduleActivity']);
    assert.equal(commands[0]!.setPatchMarker!.patchId, INPUT_CHECK_PATCH);
    assert.equal(commands[1]!.scheduleActivity!.activityType, 'checkPromotionInput');
    // `status` answers while the worker checks (a client queries right after starting): the plan.
    const starting = (await workflow.query('status')) as PromotionStatus;
    assert.equal(starting.stage, 'starting');
    assert.equal(starting.steps[0]?.id, 'dev/resolveAndPin');
    const next = await workflow.resolveActivity(1, await checks.checkPromotionInput(raw));
    const resolve = next.find((c) => c.scheduleActivity)?.scheduleActivity;
    assert.equal(resolve?.activityType, 'resolveDigest', JSON.stringify(names(next)));
    const evaluated = workflow.modules();
    assert.ok(evaluated.includes('./src/workflows/promotion.ts')); // the cache read is this workflow's
    assert.deepEqual(zodModules(evaluated), []);
    await workflow.dispose();
  });

  it('a rollback too', async () => {
    const raw = rollbackInput(testPipeline());
    const { workflow, commands } = await vm.start('rollbackImage', raw);
    assert.equal(commands[1]?.scheduleActivity?.activityType, 'checkRollbackInput');
    const next = await workflow.resolveActivity(1, await checks.checkRollbackInput(raw));
    assert.ok(names(next).includes('scheduleActivity'), JSON.stringify(names(next)));
    assert.deepEqual(zodModules(workflow.modules()), []);
    await workflow.dispose();
  });

  it('a bad input fails the same from the activity as from a history recorded before it', async () => {
    const raw = input(testPipeline((p) => (p.environments[1]!.project = 'Bad Project')));
    const fresh = await vm.start('promoteImage', raw);
    const problems = await checks.checkPromotionInput(raw);
    const f1 = failure(await fresh.workflow.resolveActivity(1, problems));
    const old = await vm.start('promoteImage', raw, { replaying: true });
    const f2 = failure(old.commands);
    assert.match(
      f1?.message ?? '',
      /^invalid promotion input:\n {2}- pipeline\.environments\[1\]\.project: /,
    );
    assert.equal(f1?.message, f2?.message);
    for (const f of [f1, f2]) {
      assert.equal(f?.applicationFailureInfo?.type, 'InvalidInput');
      assert.equal(f?.applicationFailureInfo?.nonRetryable, true);
    }
    await fresh.workflow.dispose();
    await old.workflow.dispose();
  });

  it('a history recorded before the marker replays the check in the sandbox (zod required lazily)', async () => {
    const { workflow, commands } = await vm.start('promoteImage', input(testPipeline()), { replaying: true });
    assert.ok(!names(commands).includes('setPatchMarker'), JSON.stringify(names(commands)));
    assert.equal(commands.find((c) => c.scheduleActivity)?.scheduleActivity?.activityType, 'resolveDigest');
    // The bundle holds the schema modules, and this workflow evaluated them: the lazy require works.
    assert.ok(zodModules(workflow.modules()).includes('./src/domain/promotion.ts'));
    await workflow.dispose();
  });
});
