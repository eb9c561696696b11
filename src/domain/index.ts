/** Pure domain code: no I/O, no Temporal. pipeline-file.ts (YAML) and sshsig.ts (node:crypto) are exported separately on purpose. */
export * from './approval-statement.js';
export * from './duration.js';
export * from './environment-lock.js';
export * from './evidence.js';
export * from './failures.js';
export * from './image-ref.js';
export * from './pipeline.js';
export * from './promotion.js';
export * from './quarantine.js';
export * from './scan-policy.js';
export * from './severity.js';
