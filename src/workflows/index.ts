/** The worker's workflowsPath: every workflow type lives here. */
export { promoteImage } from './promotion.js';
export { pipelineDoctor } from './doctor.js';
export { rollbackImage } from './rollback.js';
export { environmentLock } from './environment-lock.js';
