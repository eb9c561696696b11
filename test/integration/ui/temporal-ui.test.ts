/**
 * The Temporal UI as an operator uses it: headless Chromium (Debian's `chromium`, driven by playwright-core)
 * opens the workflow list filtered by the PromotionRepository search attribute, finds the promotion, opens
 * it and reads its static summary and its current details (what it waits for and the exact command that
 * moves it). The promotion is real: pushed, started through the CLI and waiting at an approval gate.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import {
  buildAndPush,
  CLEAN_PACKAGES,
  REPO_ROOT,
  runCliProcess,
  startWorker,
  writeFile,
  type WorkerProcess,
} from '../../../dev/demo/lib';

const CHROMIUM = '/usr/bin/chromium';
const nonce = randomBytes(3).toString('hex');
/** A repository of its own, so the filter has exactly one promotion to find. */
const repository = `uitest-${nonce}`;
const tag = '1.0.0';
const id = `promote-${repository}@${tag}`;
const taskQueue = `ui-${nonce}`;
const workDir = join(REPO_ROOT, '.data', 'ui-test', nonce);

let env: Record<string, string>;
let worker: WorkerProcess | undefined;
let browser: BrowserContext | undefined;
let userDataDir: string;
let page: Page;

function pipeline(host: string): string {
  return `apiVersion: harbor-promote/v1
registry: ${host}
environments:
  - name: dev
    project: platform-dev
    scan: { timeout: 5m, pollInterval: 1s }
  - name: staging
    project: platform-staging
    approval: { approvers: [ui-approver], expiry: 1h }
`;
}

before(async () => {
  for (const k of ['TEMPORAL_ADDRESS', 'TEMPORAL_UI_URL', 'HARBOR_URL', 'SKOPEO_BIN'])
    assert.ok(
      process.env[k],
      `${k} is not set: run through \`npm test\` or after eval "$(npm run -s stack -- env)"`,
    );
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (.ci/run does)`);
  env = {
    ...(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== undefined)) as Record<
      string,
      string
    >),
    TEMPORAL_TASK_QUEUE: taskQueue,
  };
  await buildAndPush(env, { workDir, repository, tag, packages: CLEAN_PACKAGES, nonce });
  const file = writeFile(join(workDir, 'pipeline.yaml'), pipeline(new URL(env.HARBOR_URL!).host));
  worker = await startWorker(env, join(workDir, 'worker.log'));
  const start = await runCliProcess(['start', `${repository}:${tag}`, '--pipeline', file], env);
  assert.equal(start.code, 0, start.stderr);
  const wait = await runCliProcess(['watch', id, '--until-waiting', '--timeout', '300'], env);
  assert.equal(wait.code, 0, wait.stderr);
  userDataDir = mkdtempSync(join(tmpdir(), 'harbor-promote-chromium-'));
  browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(30_000);
});

after(async () => {
  await browser?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  if (env) await runCliProcess(['cancel', id], env).catch(() => undefined);
  if (worker) await worker.stop();
  rmSync(workDir, { recursive: true, force: true });
});

describe('Temporal UI', { timeout: 300_000 }, () => {
  it('the workflow list filtered by PromotionRepository shows exactly this promotion', async () => {
    const query = `PromotionRepository="${repository}"`;
    await page.goto(`${env.TEMPORAL_UI_URL}/namespaces/default/workflows?query=${encodeURIComponent(query)}`);
    // Visibility is eventually consistent: the UI reloads the list itself; wait for the row.
    const row = page.getByRole('link', { name: id }).first();
    await row.waitFor();
    const text = await page.locator('body').innerText();
    assert.match(text, /PromotionRepository/);
    const ids = [...text.matchAll(/promote-[\w.-]+@[\w.:-]+/g)].map((m) => m[0]);
    assert.deepEqual(
      [...new Set(ids)],
      [id],
      `the filter let other promotions through: ${[...new Set(ids)].join(', ')}`,
    );
    assert.match(text, /Running/);
  });

  it('opening it shows the summary and the current details: what it waits for and the command', async () => {
    await page.getByRole('link', { name: id }).first().click();
    await page.waitForURL(new RegExp(`/workflows/${encodeURIComponent(id).replace(/[.]/g, '\\.')}`));
    await page.getByText('Running').first().waitFor();
    // Summary, Details and Current Details live on the "User Metadata" tab of Temporal UI 2.42.
    await page.getByRole('tab', { name: 'User Metadata' }).click();
    await page.getByText('Current Details').first().waitFor();
    // The UI renders the markdown of summary, details and current details in sandboxed iframes.
    const want = [
      `${repository}:${tag} dev → staging`,
      'Waiting for: 1 more approval',
      `harbor-promote approve ${id} --env staging`,
      'awaiting-approval',
    ];
    let text = '';
    for (let i = 0; i < 60; i++) {
      text = (
        await Promise.all(
          page.frames().map((f) =>
            f
              .locator('body')
              .innerText()
              .catch(() => ''),
          ),
        )
      ).join('\n');
      if (want.every((w) => text.includes(w))) break;
      await page.waitForTimeout(500);
    }
    for (const w of want)
      assert.ok(text.includes(w), `"${w}" is not shown; the page says:\n${text.slice(-2000)}`);
  });

  it('approving from the UI (More Actions → Send a Signal, README JSON) moves the promotion on', async () => {
    await page.getByRole('button', { name: 'More Actions' }).click();
    await page.getByRole('menuitem', { name: 'Send a Signal' }).click();
    const dialog = page
      .locator('dialog[open], [role=dialog]')
      .filter({ hasText: 'Send a Signal' })
      .filter({ visible: true });
    await dialog.getByTestId('signal-select-button').click();
    // The UI lists the workflow's signals from its metadata: approve, reject, reportVerification.
    await dialog.getByRole('option', { name: 'reportVerification', exact: true }).waitFor();
    const options = await dialog.getByRole('option').allInnerTexts();
    for (const name of ['approve', 'reject', 'reportVerification'])
      assert.ok(options.includes(name), options.join());
    await dialog.getByRole('option', { name: 'approve', exact: true }).click();
    await dialog.locator('.cm-content').click();
    await page.keyboard.insertText(
      '{ "environment": "staging", "approver": "ui-approver", "comment": "from the UI" }',
    );
    // The first click may only reformat the JSON (the editor loses focus); submit until the dialog closes.
    const submit = page.getByRole('button', { name: 'Submit' }).filter({ visible: true });
    for (let i = 0; i < 5 && (await submit.count()) > 0; i++) {
      await submit.first().click();
      await page.waitForTimeout(1000);
    }
    assert.equal(await submit.count(), 0, 'the signal dialog did not close');
    const done = await runCliProcess(['watch', id, '--timeout', '120'], env);
    assert.equal(done.code, 0, `${done.stdout}\n${done.stderr}`);
    assert.match(done.stdout, /approval staging: approved by ui-approver \("from the UI"\)/);
  });
});
