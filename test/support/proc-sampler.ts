/**
 * Samples every process's argv (/proc/<pid>/cmdline) and environment-free command lines while a run is in
 * progress, so the secrets proof can show no credential ever appeared on a command line (which any local
 * user can read). Sampling is a loop of synchronous /proc reads every `everyMs`; each distinct command line
 * is kept once.
 */
import { readdirSync, readFileSync } from 'node:fs';

export class ArgvSampler {
  private timer?: NodeJS.Timeout;
  readonly seen = new Set<string>();
  samples = 0;

  constructor(private readonly everyMs = 20) {}

  sampleOnce(): void {
    this.samples++;
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const argv = readFileSync(`/proc/${name}/cmdline`, 'utf8');
        if (argv) this.seen.add(argv.split('\0').join(' ').trim());
      } catch {
        /* exited meanwhile */
      }
    }
  }

  start(): this {
    this.sampleOnce();
    this.timer = setInterval(() => this.sampleOnce(), this.everyMs);
    this.timer.unref();
    return this;
  }

  stop(): string[] {
    if (this.timer) clearInterval(this.timer);
    this.sampleOnce();
    return [...this.seen];
  }

  /** Command lines that mention `program` (e.g. "cosign", "skopeo", "git"). */
  matching(program: string): string[] {
    return [...this.seen].filter((c) => c.split(' ')[0]?.endsWith(program) || c.includes(`/${program} `));
  }
}

/**
 * What base64 of `bytes` looks like wherever the bytes sit in a longer stream: base64 works in 3-byte
 * groups, so the encoding depends on the offset mod 3. For each offset this returns the characters that
 * come from the secret's bytes alone (the group shared with unknown neighbours is dropped at both ends),
 * in standard and URL-safe alphabets.
 */
export function base64Forms(bytes: Buffer): string[] {
  const forms: string[] = [];
  for (const offset of [0, 1, 2]) {
    const lead = offset === 0 ? 0 : 3 - offset; // secret bytes in the group shared with what precedes it
    const whole = Math.floor((bytes.length - lead) / 3) * 3; // secret bytes in groups of their own
    if (whole <= 0) continue;
    const b64 = bytes.subarray(lead, lead + whole).toString('base64');
    forms.push(b64, b64.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return forms;
}

/**
 * The forms a secret can leak in: as is, URL-encoded, and base64 at any byte offset (Basic auth, auth
 * files, Temporal payloads, a secret inside a larger JSON or YAML document). `user:secret` in base64 is
 * what Basic headers and docker auth files carry; it is covered by the offset forms, and kept whole too.
 */
export function secretForms(secret: string, username?: string): string[] {
  const forms = new Set<string>([secret, encodeURIComponent(secret), ...base64Forms(Buffer.from(secret))]);
  if (username) forms.add(Buffer.from(`${username}:${secret}`).toString('base64').replace(/=+$/, ''));
  return [...forms].filter((f) => f.length >= 8);
}

/** The environment of each PID as text (`NAME=value` lines); a process that is gone gives ''. */
export function environOf(pids: number[]): Record<number, string> {
  const out: Record<number, string> = {};
  for (const pid of pids) {
    try {
      out[pid] = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').join('\n');
    } catch {
      out[pid] = '';
    }
  }
  return out;
}

/**
 * Temporal history JSON keeps payloads base64-encoded (`"data": "…"`); this returns the text with every
 * such payload decoded and appended, so a search sees what the payloads carry.
 */
export function expandPayloads(historyText: string): string {
  const decoded: string[] = [];
  for (const m of historyText.matchAll(/"data"\s*:\s*"([A-Za-z0-9+/=]+)"/g)) {
    try {
      decoded.push(Buffer.from(m[1]!, 'base64').toString('utf8'));
    } catch {
      /* not base64 */
    }
  }
  return `${historyText}\n${decoded.join('\n')}`;
}

/** Where each form of each secret occurs in `haystacks` (name → text); empty when nothing leaked. */
export function findSecrets(secrets: Record<string, string[]>, haystacks: Record<string, string>): string[] {
  const hits: string[] = [];
  for (const [secretName, forms] of Object.entries(secrets))
    for (const [where, text] of Object.entries(haystacks))
      for (const f of forms)
        if (text.includes(f)) hits.push(`${secretName} (as "${f.slice(0, 4)}…") in ${where}`);
  return hits;
}
