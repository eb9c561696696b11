/**
 * The CLI's exit codes. Scripts rely on these; README "CLI" documents the same table, and `--help` prints it.
 */
export const ExitCode = {
  /** The command did what it was asked (for `watch`/`start --wait`/`record`: the promotion completed). */
  OK: 0,
  /** The promotion failed (scan gate, quarantine, rejection, expiry, verification, …). */
  PROMOTION_FAILED: 1,
  /** Bad command line, bad image reference or bad pipeline file: nothing was started or sent. */
  USAGE: 2,
  /** Temporal is unreachable, the connection settings are wrong, or no worker answered a query/update. */
  UNREACHABLE: 3,
  /** No promotion with that id in the namespace. */
  NOT_FOUND: 4,
  /** The promotion refused the message (not an approver, wrong environment, not waiting, already decided). */
  REFUSED: 5,
  /** The promotion was cancelled, terminated or timed out. */
  CANCELLED: 6,
  /** The promotion is still running (`record`, or `watch --timeout` ran out). */
  STILL_RUNNING: 7,
  /** `doctor` (or the checks `start` runs first) found a problem; each ✗ line says the fix. Nothing started. */
  CHECKS_FAILED: 8,
  /** Anything unexpected (a bug or a server error); the message says what. */
  INTERNAL: 70,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODE_HELP = `Exit codes:
  0  done (watch, start --wait, record: the promotion completed; watch --until-waiting: a person is needed)
  1  the promotion failed
  2  bad command line, image reference or pipeline file (nothing started)
  3  Temporal unreachable, connection settings wrong, or no worker answered
  4  no promotion with that id
  5  refused by the promotion (not an approver, wrong environment, not waiting, already decided)
  6  the promotion was cancelled, terminated or timed out
  7  the promotion is still running
  8  doctor found a problem (doctor, or start before starting); nothing started
  70 unexpected error`;
