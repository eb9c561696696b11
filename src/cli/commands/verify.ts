/**
 * `harbor-promote verify IMAGE@DIGEST --env ENV --pipeline FILE [--key cosign.pub] [--require-approvals]`:
 * whether that digest was promoted into ENV under that pipeline, from the registry alone (no Temporal): the
 * signature, the signed SLSA verification summary (policy digest, result, level) and, with
 * --require-approvals, the signed promotion record's approvals against the pipeline's rule
 * (docs/attestations.md). One line per check; exit 0 when all pass, 1 naming the failed ones. This is what a
 * CD system or an admission hook calls.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { z } from 'zod';
import { readAttestation, readSignature } from '../../activities/evidence.js';
import { parsePublicKey } from '../../activities/signature.js';
import { canonicalPipeline, RECORD_PREDICATE_TYPE, VSA_PREDICATE_TYPE } from '../../domain/attestation.js';
import { digestProblem, repositoryProblem } from '../../domain/image-ref.js';
import { repositoryIn, type Environment, type Pipeline } from '../../domain/pipeline.js';
import { verifyChecks, type Read } from '../../domain/verify.js';
import { HarborConnection } from '../../harbor/client.js';
import { HarborHttpError } from '../../harbor/errors.js';
import { RegistryApi } from '../../harbor/registry.js';
import { usage } from '../errors.js';
import { ExitCode } from '../exit-codes.js';
import { EnvFlag, parseOptions } from '../options.js';
import type { CommandContext } from '../session.js';
import { readPipelineFile } from '../start.js';

// Key order is the order problems are reported in.
const Options = z.object({
  image: z.string().min(1, {
    error: 'IMAGE@DIGEST is empty; give e.g. harbor.example.com/platform-prod/myservice@sha256:<hex>',
  }),
  env: EnvFlag,
  pipeline: z.string().min(1, { error: '--pipeline is empty; give the pipeline YAML file' }),
  key: z.string().min(1).optional(),
  harborUrl: z.url({ protocol: /^https?$/, error: '--harbor-url must be an http(s) URL' }).optional(),
  requireApprovals: z.boolean().optional(),
});

/**
 * `[host/][project/]repository@sha256:…` → where to look in ENV's project. A host is recognised as Docker
 * does (a first component with "." or ":", or localhost); a project prefix must be ENV's project.
 */
export function locate(
  image: string,
  pipeline: Pipeline,
  env: Environment,
): { project: string; repository: string; digest: string } {
  const at = image.lastIndexOf('@');
  if (at < 0) throw usage(`IMAGE "${image}" has no @sha256:<digest>; verify checks a digest, never a tag`);
  const digest = image.slice(at + 1);
  const dp = digestProblem(digest);
  if (dp) throw usage(`IMAGE digest ${dp}`);
  let parts = image.slice(0, at).split('/');
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) parts = parts.slice(1);
  const projects = pipeline.environments.map((e) => e.project);
  if (parts.length > 1 && projects.includes(parts[0]!)) {
    if (parts[0] !== env.project)
      throw usage(
        `IMAGE is in project ${parts[0]}, but ${env.name} is project ${env.project}; give the image as deployed in ${env.name}`,
      );
    parts = parts.slice(1);
  }
  const repository = repositoryIn(env, parts.join('/'));
  const rp = repositoryProblem(repository);
  if (rp) throw usage(`IMAGE repository ${rp}`);
  return { project: env.project, repository, digest };
}

function credentials(env: NodeJS.ProcessEnv): { username: string; password: string } {
  const username = env.HARBOR_USERNAME;
  let password = env.HARBOR_PASSWORD;
  if (password === undefined && env.HARBOR_PASSWORD_FILE) {
    try {
      password = readFileSync(env.HARBOR_PASSWORD_FILE, 'utf8').trim();
    } catch (e) {
      throw usage(
        `HARBOR_PASSWORD_FILE ${env.HARBOR_PASSWORD_FILE} cannot be read (${(e as NodeJS.ErrnoException).code})`,
      );
    }
  }
  if (!username || password === undefined)
    throw usage(
      'set HARBOR_USERNAME and HARBOR_PASSWORD (or HARBOR_PASSWORD_FILE): an account that may pull from the project (push as well to read attestations in projects with a pull policy, see docs/attestations.md)',
    );
  return { username, password };
}

/** A read that Harbor refused becomes a failed check naming Harbor's answer, not an abort. */
async function read<T>(f: () => Promise<T>, onError: (message: string) => T): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof HarborHttpError)
      return onError(`Harbor answered ${err.status} ${err.code ?? ''} ${err.harborMessage ?? ''}`.trim());
    throw err;
  }
}

export function registerVerify(program: Command, ctx: CommandContext): void {
  program
    .command('verify')
    .description(
      'check, from the registry alone, that a digest was promoted into an environment under a pipeline (signature, signed VSA, policy digest, approvals)',
    )
    .argument(
      '<image@digest>',
      'the image by digest, e.g. harbor.example.com/platform-prod/myservice@sha256:<hex>',
    )
    .requiredOption('--env <name>', 'the environment it must have been promoted into')
    .requiredOption('-p, --pipeline <file>', 'the pipeline YAML it must have been promoted under')
    .option('--key <file>', "the promoter's cosign public key (env COSIGN_PUBLIC_KEY_FILE)")
    .option('--harbor-url <url>', 'Harbor base URL (env HARBOR_URL; default https://<pipeline registry>)')
    .option('--require-approvals', "also check the signed promotion record's approvals against the pipeline")
    .addHelpText(
      'after',
      '\nReads with HARBOR_USERNAME / HARBOR_PASSWORD(_FILE). Exit 0 when every check passes, 1 when one fails (each ✗ line names it), 2 for a bad command line.\n\nExample:\n  $ harbor-promote verify harbor.example.com/platform-prod/myservice@sha256:… --env production --pipeline pipelines/myservice.yaml --require-approvals',
    )
    .action(async (image: string, raw: object, cmd: Command) => {
      const s = ctx.session(cmd);
      const o = parseOptions(Options, { image, ...raw });
      const pipeline = readPipelineFile(o.pipeline);
      const index = pipeline.environments.findIndex((e) => e.name === o.env);
      if (index < 1)
        throw usage(
          `--env ${o.env} is not a destination of ${o.pipeline}; use one of ${pipeline.environments
            .slice(1)
            .map((e) => e.name)
            .join(', ')}`,
        );
      const env = pipeline.environments[index]!;
      const a = locate(o.image, pipeline, env);
      const keyFile = o.key ?? ctx.io.env.COSIGN_PUBLIC_KEY_FILE;
      if (!keyFile)
        throw usage("--key: give the promoter's cosign public key (or set COSIGN_PUBLIC_KEY_FILE)");
      let key;
      try {
        key = parsePublicKey(readFileSync(keyFile, 'utf8'), `--key ${keyFile}`);
      } catch (e) {
        throw usage((e as Error).message.replace(/^Error: /, '').replace(/ENOENT.*/, 'does not exist'));
      }
      const policyDigest = createHash('sha256').update(canonicalPipeline(pipeline)).digest('hex');
      const creds = credentials(ctx.io.env);
      const conn = new HarborConnection({
        baseUrl: o.harborUrl ?? ctx.io.env.HARBOR_URL ?? `https://${pipeline.registry}`,
        ...creds,
      });
      try {
        const registry = new RegistryApi(conn);
        const failed = (m: string) => ({ state: 'invalid' as const, reasons: [m] });
        const sig = await read(() => readSignature(registry, a, key), failed);
        const statement = async (type: string): Promise<Read<unknown>> =>
          read(async () => {
            const v = await readAttestation(registry, a, key, type, { signer: true });
            return v.state === 'valid' ? { state: 'valid', value: v.statement.predicate } : v;
          }, failed);
        const checks = verifyChecks({
          pipeline,
          policyDigest,
          environment: env,
          upTo: pipeline.environments.slice(1, index + 1),
          ...a,
          signature:
            sig.state === 'valid'
              ? { state: 'valid', value: undefined }
              : { state: sig.state, reasons: sig.reasons },
          vsa: await statement(VSA_PREDICATE_TYPE),
          ...(o.requireApprovals && { record: await statement(RECORD_PREDICATE_TYPE) }),
        });
        const ok = checks.every((c) => c.ok);
        const name = `${a.project}/${a.repository}@${a.digest}`;
        if (s.json) s.printJson({ image: name, environment: env.name, policyDigest, ok, checks });
        else
          s.print([
            ...checks.map((c) => `${c.ok ? '✓' : '✗'} ${c.name}: ${c.message}`),
            ok
              ? `${name}: promoted into ${env.name} under ${o.pipeline}`
              : `${name}: NOT verified for ${env.name}: failed ${checks
                  .filter((c) => !c.ok)
                  .map((c) => c.name)
                  .join(', ')}`,
          ]);
        ctx.exit(ok ? ExitCode.OK : ExitCode.PROMOTION_FAILED);
      } finally {
        await conn.close();
      }
    });
}
