/**
 * The workflow kinds and states `clo list` filters by. A module of its own, with no imports,
 * because `clo list --help` shows them and `--help` must not load the Temporal client
 * (client/executions.ts, which re-exports them).
 */

/** Workflow types by the kind `clo list --type` names. */
export const WORKFLOW_TYPES = {
  upload: 'uploadLibraryItem',
  download: 'downloadLibraryItem',
  sync: 'syncLibrary',
  reap: 'reapOrphanSessions',
} as const;
export type WorkflowKind = keyof typeof WORKFLOW_TYPES;

/** `--state` values and the visibility ExecutionStatus each stands for. */
export const STATES = {
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  canceled: 'Canceled',
  terminated: 'Terminated',
  'timed-out': 'TimedOut',
  'continued-as-new': 'ContinuedAsNew',
} as const;
export type WorkflowState = keyof typeof STATES;
