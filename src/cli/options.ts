/**
 * A command's arguments and options, parsed by zod: each command file declares its schema, and a bad
 * value is one usage line (exit 2) that names the flag and says what to write instead.
 */
import { z } from 'zod';
import { repositoryProblem } from '../domain/image-ref.js';
import { EnvironmentName } from '../domain/pipeline.js';
import { usage } from './errors.js';

/** Parses raw commander values; the first problem becomes the usage error. */
export function parseOptions<S extends z.ZodType>(schema: S, raw: unknown): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  throw usage(r.error.issues[0]?.message ?? 'invalid arguments; see --help');
}

/** The promotion id argument (printed by `start`). */
export const PromotionIdArg = z
  .string()
  .trim()
  .min(1, { error: 'ID is empty; give the promotion id printed by `start`, e.g. promote-myservice@1.4.2' });

/** `--env`: an environment name as the pipeline writes it. */
export const EnvFlag = z.string().superRefine((env, ctx) => {
  const r = EnvironmentName.safeParse(env);
  if (!r.success)
    ctx.addIssue({
      code: 'custom',
      message: `--env "${env}" ${r.error.issues[0]?.message ?? 'is not an environment name'}`,
    });
});

/** `--as`: a user name as listed in the pipeline's approvers. */
export const UserNameFlag = (flag: string) =>
  z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._@+-]{0,127}$/, {
    error: (iss) =>
      `${flag} "${String(iss.input)}" is not a user name; use letters, digits, ".", "_", "@", "+", "-" as listed in the pipeline's approvers`,
  });

/** `--repository`: a repository name inside the projects. */
export const RepositoryFlag = z.string().superRefine((repo, ctx) => {
  const p = repositoryProblem(repo);
  if (p) ctx.addIssue({ code: 'custom', message: `--repository ${p}` });
});

/** A number of seconds given as text (`--interval 0.5`). */
export const SecondsFlag = (flag: string) =>
  z.string().transform((v, ctx) => {
    const n = Number(v);
    if (!(n > 0)) {
      ctx.addIssue({ code: 'custom', message: `${flag} "${v}" is not a positive number of seconds` });
      return z.NEVER;
    }
    return n;
  });

/** A positive integer given as text (`--limit 20`). */
export const CountFlag = (flag: string) =>
  z.string().transform((v, ctx) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) {
      ctx.addIssue({ code: 'custom', message: `${flag} "${v}" is not a positive integer` });
      return z.NEVER;
    }
    return n;
  });
