/** The one entry the worker bundles: one file per workflow. */
import { setWorkflowOptions } from '@temporalio/workflow';
import { downloadLibraryItem } from './download-library-item';
import { reapOrphanSessions } from './reap-orphan-sessions';
import { smokeWorkflow } from './smoke';
import { syncLibrary } from './sync-library';
import { uploadLibraryItem } from './upload-library-item';

export * from './smoke';
export * from './upload-library-item';
export * from './reap-orphan-sessions';
export * from './download-library-item';
export * from './sync-library';

// Worker Deployment Versioning (docs/deploy.md); these apply only on a versioned worker
// (`clo worker --build-id`), an unversioned one ignores them.
//
// The transfer sagas run for hours and their histories hold the order of every command:
// replayed on new code they would fail on any reordering. PINNED keeps each run on the build
// it started on until it ends; the old build keeps serving it while new runs start on the new.
setWorkflowOptions({ versioningBehavior: 'PINNED' }, uploadLibraryItem);
setWorkflowOptions({ versioningBehavior: 'PINNED' }, downloadLibraryItem);
// The sync continues-as-new after each batch and the reaper and the smoke workflow are short:
// they move to the new build at their next workflow task, so an old build drains quickly. A
// change to their code must replay their running histories: guard it with patched().
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, syncLibrary);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, reapOrphanSessions);
setWorkflowOptions({ versioningBehavior: 'AUTO_UPGRADE' }, smokeWorkflow);
