/** The one entry the worker bundles: one file per workflow. */
import { setWorkflowOptions, workflowInfo } from '@temporalio/workflow';
import type { VersioningBehavior } from '@temporalio/common';
import { downloadLibraryItem } from './download-library-item';
import { reapOrphanSessions } from './reap-orphan-sessions';
import { smokeWorkflow } from './smoke';
import { syncLibrary } from './sync-library';
import { transferPermits } from './transfer-permits';
import { uploadLibraryItem } from './upload-library-item';

export * from './smoke';
export * from './upload-library-item';
export * from './reap-orphan-sessions';
export * from './download-library-item';
export * from './sync-library';
export * from './transfer-permits';

// Worker Deployment Versioning (docs/deploy.md). The server refuses a workflow task completed
// with a versioning behavior by an unversioned worker (no `clo worker --build-id`: clo dev,
// the demo, the tests), so each behavior applies only when the task's worker is versioned:
// then its version has a deployment name (an unversioned one reports only a build id).
const when = (versioningBehavior: VersioningBehavior) => () =>
  workflowInfo().currentDeploymentVersion?.deploymentName ? { versioningBehavior } : {};

// The transfer sagas run for hours and their histories hold the order of every command:
// replayed on new code they would fail on any reordering. PINNED keeps each run on the build
// it started on until it ends; the old build keeps serving it while new runs start on the new.
setWorkflowOptions(when('PINNED'), uploadLibraryItem);
setWorkflowOptions(when('PINNED'), downloadLibraryItem);
// The sync continues-as-new after each batch and the reaper and the smoke workflow are short:
// they move to the new build at their next workflow task, so an old build drains quickly. A
// change to their code must replay their running histories: guard it with patched().
setWorkflowOptions(when('AUTO_UPGRADE'), syncLibrary);
setWorkflowOptions(when('AUTO_UPGRADE'), reapOrphanSessions);
setWorkflowOptions(when('AUTO_UPGRADE'), smokeWorkflow);
// The transfer-permit semaphore lives as long as its vCenter is busy, across deploys: pinned,
// it would keep an old build alive indefinitely. It moves to the new build at its next task
// (its state is small and continues-as-new often); a change to it must replay: patched().
setWorkflowOptions(when('AUTO_UPGRADE'), transferPermits);
