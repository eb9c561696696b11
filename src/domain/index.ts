/** Pure domain code: no I/O, no Temporal. pipeline-file.ts (YAML) is exported separately on purpose. */
export * from './duration.js';
export * from './environment-lock.js';
export * from './failures.js';
export * from './image-ref.js';
export * from './pipeline.js';
export * from './promotion.js';
export * from './quarantine.js';
export * from './scan-policy.js';
export * from './severity.js';
