/**
 * `start`, the local half: everything is checked before anything is sent, so a typo never starts a
 * promotion. Pure apart from reading the pipeline file.
 */
import { readFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { parseImageReference, referenceOf } from '../domain/image-ref.js';
import { parsePipelineYaml } from '../domain/pipeline-file.js';
import { checkPromotionInput, type ValidPromotionInput } from '../domain/promotion.js';
import { promotionStartOptions, type PromotionStartOptions } from '../workflows/start.js';
import { usage } from './errors.js';

export interface StartRequest {
  image: string;
  pipelinePath: string;
  /** Stop after this environment (default: the pipeline's last). */
  to?: string;
  requestedBy?: string;
}

export interface PreparedStart {
  input: ValidPromotionInput;
  workflowId: string;
  summary: string;
  /** `client.workflow.start(PROMOTE_WORKFLOW_TYPE, { taskQueue, ...options })` */
  options: PromotionStartOptions;
  /** Set when the user gave both a tag and a digest: the digest wins. */
  note?: string;
}

function defaultRequester(): string | undefined {
  try {
    return userInfo().username || undefined;
  } catch {
    return undefined;
  }
}

export function readPipelineFile(path: string) {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw usage(
      code === 'ENOENT'
        ? `--pipeline: ${path} does not exist; give the pipeline YAML file (example: pipelines/myservice.yaml)`
        : `--pipeline: ${path} cannot be read (${code ?? 'error'}); check the path and its permissions`,
    );
  }
  return parsePipelineYaml(text, path);
}

export function prepareStart(req: StartRequest): PreparedStart {
  const ref = parseImageReference(req.image, 'IMAGE');
  const pipeline = readPipelineFile(req.pipelinePath);
  // The requester is who `approval.allowSelfApproval` is about: naming someone else is allowed only where
  // the pipeline says so (a CI job starting on someone's behalf); otherwise it is the OS user.
  if (req.requestedBy !== undefined && pipeline.allowRequestedBy !== true)
    throw usage(
      `--requested-by: ${req.pipelinePath} does not allow naming the requester (the requester is your OS user${defaultRequester() ? ` "${defaultRequester()}"` : ''}); leave --requested-by out, or set \`allowRequestedBy: true\` at the top of the pipeline`,
    );
  const requestedBy = req.requestedBy ?? defaultRequester();
  const checked = checkPromotionInput({
    pipeline,
    repository: ref.repository,
    reference: referenceOf(ref),
    ...(req.to !== undefined && { targetEnvironment: req.to }),
    ...(requestedBy !== undefined && { requestedBy: requestedBy.slice(0, 128) }),
  });
  if (!checked.ok) {
    const problems = checked.problems.map((p) =>
      p.startsWith('targetEnvironment') ? p.replace(/^targetEnvironment/, '--to') : p,
    );
    throw usage(problems.join('; '));
  }
  // The shared start helper (workflow id, summary, search attributes, USE_EXISTING); the input is valid.
  const options = promotionStartOptions(checked.input);
  return {
    input: checked.input,
    workflowId: options.workflowId,
    summary: options.staticSummary,
    options,
    ...(ref.tag &&
      ref.digest && {
        note: `both a tag and a digest were given; promoting the digest ${ref.digest} (the tag is not used)`,
      }),
  };
}
