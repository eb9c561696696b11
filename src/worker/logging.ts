/**
 * Structured logs for the worker and the SDK (one JSON object per line on stderr, or text). Every line
 * passes through the redactor: secret values never reach the log, and keys that look like secrets are
 * masked whatever their value.
 */
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

export interface Redacts {
  redact(text: string): string;
}

const SECRET_KEY = /pass(word)?|secret|token|api[-_]?key|authorization|credential|private[-_]?key/i;

function plain(value: unknown, redactor: Redacts, depth = 0): unknown {
  if (value === null || value === undefined) return value;
  if (typeof value === 'string') return redactor.redact(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Error)
    return {
      name: value.name,
      message: redactor.redact(value.message),
      ...((value as { type?: string }).type && { type: (value as { type?: string }).type }),
    };
  if (typeof value !== 'object') return value;
  if (depth > 4) return '[…]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => plain(v, redactor, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>))
    out[k] =
      SECRET_KEY.test(k) && v !== undefined && typeof v !== 'boolean'
        ? '[redacted]'
        : plain(v, redactor, depth + 1);
  return out;
}

export function formatEntry(entry: LogEntry, format: 'json' | 'text', redactor: Redacts): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = (entry.meta ? plain(entry.meta, redactor) : {}) as Record<string, unknown>;
  const msg = redactor.redact(entry.message);
  if (format === 'json') return JSON.stringify({ time, level: entry.level, msg, ...meta });
  const kv = Object.entries(meta)
    .map(
      ([k, v]) =>
        `${k}=${typeof v === 'string' ? (/\s/.test(v) ? JSON.stringify(v) : v) : JSON.stringify(v)}`,
    )
    .join(' ');
  return `${time} ${entry.level.padEnd(5)} ${msg}${kv ? ` ${kv}` : ''}`;
}

export function createLogger(
  level: LogLevel,
  format: 'json' | 'text',
  redactor: Redacts = { redact: (s) => s },
  write: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): DefaultLogger {
  return new DefaultLogger(level, (entry) => write(formatEntry(entry, format, redactor)));
}
