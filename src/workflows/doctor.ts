/**
 * pipelineDoctor: runs `runDoctor` on a worker, so the checks use the worker's credentials (robot secret,
 * cosign key, GitOps access) and no secret ever reaches the CLI. The input is the pipeline (no secrets);
 * the result is the report of check lines. One attempt: a doctor reports problems, it does not retry them.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { DoctorActivities, DoctorInput, DoctorReport } from '../domain/doctor.js';

export const DOCTOR_WORKFLOW_TYPE = 'pipelineDoctor';

const { runDoctor } = proxyActivities<DoctorActivities>({
  startToCloseTimeout: '3m',
  heartbeatTimeout: '1m',
  retry: { maximumAttempts: 1 },
});

export async function pipelineDoctor(input: DoctorInput): Promise<DoctorReport> {
  return runDoctor(input);
}
