// Credentials → identity. Bad credentials never fail on their own: they leave the caller anonymous.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Identity } from './rbac';
import type { State } from './store';

export function hashSecret(secret: string, salt = randomBytes(16).toString('hex')): string {
  return `${salt}:${createHmac('sha256', salt).update(secret).digest('hex')}`;
}

export function checkSecret(secret: string, stored: string): boolean {
  const [salt, want] = stored.split(':');
  if (!salt || !want) return false;
  const got = createHmac('sha256', salt).update(secret).digest('hex');
  return got.length === want.length && timingSafeEqual(Buffer.from(got), Buffer.from(want));
}

export interface BasicCreds {
  username: string;
  password: string;
}

export function parseBasic(header: string | undefined): BasicCreds | null {
  if (!header || !/^basic /i.test(header)) return null;
  const raw = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const i = raw.indexOf(':');
  if (i < 0) return null;
  return { username: raw.slice(0, i), password: raw.slice(i + 1) };
}

/** users that failed a login recently: Harbor locks them for 1.5 s */
const lockedUntil = new Map<string, number>();
export const LOGIN_FAIL_DELAY_MS = 1500;

/** Resolve Basic credentials (user or robot). Returns the identity and whether a failed user login must be delayed. */
export function identify(state: State, creds: BasicCreds | null): { id: Identity; failedUser: boolean } {
  if (!creds) return { id: { kind: 'anonymous' }, failedUser: false };
  if (creds.username.startsWith('robot$')) {
    const robot = state.robots.find((r) => r.name === creds.username);
    const nowSec = Math.floor(Date.now() / 1000);
    if (
      robot &&
      !robot.disabled &&
      (robot.expiresAt === -1 || robot.expiresAt > nowSec) &&
      checkSecret(creds.password, robot.secretHash)
    ) {
      return { id: { kind: 'robot', robot }, failedUser: false };
    }
    return { id: { kind: 'anonymous' }, failedUser: false };
  }
  const user = state.users.find((u) => u.username === creds.username);
  const locked = (lockedUntil.get(creds.username) ?? 0) > Date.now();
  if (user && !locked && checkSecret(creds.password, user.passwordHash))
    return { id: { kind: 'user', user }, failedUser: false };
  lockedUntil.set(creds.username, Date.now() + LOGIN_FAIL_DELAY_MS);
  return { id: { kind: 'anonymous' }, failedUser: true };
}

export async function identifyRequest(state: State, req: IncomingMessage): Promise<Identity> {
  const { id, failedUser } = identify(state, parseBasic(req.headers.authorization));
  if (failedUser) await new Promise((r) => setTimeout(r, LOGIN_FAIL_DELAY_MS));
  return id;
}
