// What `status` shows for a promotion whose activity gave up: the cause, not Temporal's "Activity task failed".
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ActivityFailure,
  ApplicationFailure,
  RetryState,
  TimeoutFailure,
  TimeoutType,
} from '@temporalio/common';
import { describeFailure } from '../../../src/workflows/promotion';

const activityFailure = (cause: Error) =>
  new ActivityFailure('Activity task failed', 'resolveDigest', '1', RetryState.TIMEOUT, 'w', cause);

describe('describeFailure', () => {
  it('an activity that ran out of retries: its last failure and type', () => {
    const last = ApplicationFailure.create({
      type: 'Transient',
      message: 'resolve platform-dev/app:1: Harbor GET /x answered 503 UNKNOWN',
    });
    // As the SDK decodes it: the server attaches the last attempt's failure as the timeout's cause.
    const timeout = new TimeoutFailure(
      'activity ScheduleToClose timeout',
      undefined,
      TimeoutType.SCHEDULE_TO_CLOSE,
    );
    Object.assign(timeout, { cause: last });
    const f = describeFailure(activityFailure(timeout));
    assert.equal(f.type, 'Timeout');
    assert.equal(
      f.message,
      'resolveDigest failed: activity ScheduleToClose timeout: resolve platform-dev/app:1: Harbor GET /x answered 503 UNKNOWN',
    );
    assert.deepEqual(describeFailure(activityFailure(last)), {
      type: 'Transient',
      message: 'resolveDigest failed: resolve platform-dev/app:1: Harbor GET /x answered 503 UNKNOWN',
    });
  });

  it('a typed workflow failure keeps its type and message', () => {
    const f = ApplicationFailure.create({
      type: 'HarborIncompatible',
      message: 'resolving x: Harbor v2 answered …',
    });
    assert.deepEqual(describeFailure(f), {
      type: 'HarborIncompatible',
      message: 'resolving x: Harbor v2 answered …',
    });
  });
});
