/**
 * `approve`/`reject --sign-key KEY`: builds the canonical approval statement for the gate as it is now
 * (promotion id, environment, pinned digest, the gate's current nonce from `status`) and signs it with
 * `ssh-keygen -Y sign` in this tool's namespace. argv holds only the namespace and the key's path; the
 * statement goes through stdin and the signature comes back on stdout, so no temp file holds either. A
 * passphrase is asked by ssh-keygen on the terminal; with ssh-agent, give the `.pub` file (ssh-keygen then
 * signs with the agent's private half).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import type { WorkflowHandle } from '@temporalio/client';
import {
  APPROVAL_NAMESPACE,
  approvalStatement,
  canonicalApprovalStatement,
} from '../domain/approval-statement.js';
import { statusQuery, type SignedStatement } from '../workflows/messages.js';
import { CliError, usage } from './errors.js';
import { ExitCode } from './exit-codes.js';

export interface SignRequest {
  decision: 'approve' | 'reject';
  environment: string;
  approver: string;
  /** The approval's comment or the rejection's reason ("" when none): it is part of what is signed. */
  comment: string;
  keyPath: string;
  /** The ssh-keygen binary (tests may point elsewhere). */
  sshKeygen?: string;
}

/** `~/…` as the shell would expand it (a quoted or `--sign-key=~/…` path reaches us unexpanded). */
export function expandKeyPath(p: string): string {
  return p === '~' || p.startsWith('~/') ? `${homedir()}${p.slice(1)}` : p;
}

/** The key file, checked before anything is sent (a typo is a usage error, not a refused approval). */
export function checkKeyPath(given: string): string {
  const keyPath = expandKeyPath(given);
  if (!existsSync(keyPath))
    throw usage(
      `--sign-key: ${given} does not exist; give your SSH private key (e.g. ~/.ssh/id_ed25519), or its .pub file when the key is in ssh-agent`,
    );
  return keyPath;
}

export async function signForGate(handle: WorkflowHandle, req: SignRequest): Promise<SignedStatement> {
  const keyPath = checkKeyPath(req.keyPath);
  const status = await handle.query(statusQuery);
  const gate = status.approvals[req.environment];
  if (gate && !gate.signaturesRequired && gate.openedAt)
    throw new CliError(
      `${req.environment} does not take signed approvals (the pipeline lists no approver keys); ${req.decision} without --sign-key`,
      ExitCode.REFUSED,
    );
  if (!gate || !gate.nonce || !status.digest)
    throw new CliError(
      gate
        ? `not waiting for approval into ${req.environment} yet (stage: ${status.stage} in ${status.currentEnvironment}); sign when it asks`
        : `environment "${req.environment}" has no approval gate in this promotion`,
      ExitCode.REFUSED,
    );
  const statement = canonicalApprovalStatement(
    approvalStatement({
      promotionId: status.promotionId,
      environment: req.environment,
      digest: status.digest,
      approver: req.approver,
      decision: req.decision,
      comment: req.comment,
      time: new Date().toISOString(),
      nonce: gate.nonce,
    }),
  );
  return { statement, signature: await sshSign(statement, keyPath, req.sshKeygen) };
}

/** `ssh-keygen -Y sign -n <namespace> -f KEY` over stdin; the armored signature from stdout. */
export function sshSign(message: string, keyPath: string, bin = 'ssh-keygen'): Promise<string> {
  return new Promise((resolve, reject) => {
    // stdin carries the message, so a passphrase prompt goes to the terminal (ssh-keygen opens /dev/tty).
    const child = spawn(bin, ['-Y', 'sign', '-n', APPROVAL_NAMESPACE, '-f', keyPath], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        new CliError(
          e.code === 'ENOENT'
            ? `--sign-key needs ssh-keygen (OpenSSH 8.1 or later) on PATH; install openssh-client`
            : `ssh-keygen could not run: ${e.message}`,
          ExitCode.USAGE,
        ),
      ),
    );
    child.on('close', (code) => {
      if (code === 0 && out.includes('-----BEGIN SSH SIGNATURE-----')) return resolve(out);
      const why = err
        .split('\n')
        .map((l) => l.trim())
        .filter((l) => l && !/^Signing data on standard input/.test(l) && !/^Enter passphrase/.test(l))
        .join('; ');
      reject(
        new CliError(
          `ssh-keygen -Y sign with ${keyPath} failed${why ? `: ${why}` : ''} (a key with a passphrase needs a terminal, or load it into ssh-agent and give the .pub file)`,
          ExitCode.USAGE,
        ),
      );
    });
    child.stdin.end(message);
  });
}
