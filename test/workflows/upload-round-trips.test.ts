/**
 * The upload saga's control plane since patch 'upload-fewer-round-trips': what a one-file
 * upload costs in workflow tasks, activities and vCenter calls outside the PUT itself. Each
 * step saved here was ~30–60 ms of a small upload's end to end on this machine
 * (docs/benchmarks.md, "Upload: what each change bought").
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { writeRandomFile } from '../fixtures/content';
import { readItemBack } from '../support/library';
import { useUploadFixture } from '../support/upload-fixture';

const { EventType } = temporal.api.enums.v1;

describe('uploadLibraryItem control plane (simulator)', () => {
  const f = useUploadFixture();

  it('plans and looks up in one local activity, validates and completes in one activity, and lists the file only after the PUT', async () => {
    const file = await writeRandomFile(join(f.dir, 'small.iso'), 64 * 1024, 'small');
    const name = `trips-${randomUUID().slice(0, 6)}`;
    const lists = f.target.sim!.stats.calls('updatesession.file.list');
    const handle = await f.start({ item: { name }, source: { kind: 'file', path: file.path } });
    const result = await handle.result();
    expect(await readItemBack(f.rest, result.itemId)).toEqual({
      'small.iso': { size: file.size, sha1: file.sha1 },
    });
    expect(result.contentVersion).toBeDefined();

    const events = (await handle.fetchHistory()).events ?? [];
    const scheduled = events
      .filter((e) => e.eventType === EventType.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED)
      .map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name)
      .sort();
    expect(scheduled).toEqual(['holdSession', 'pushFile', 'validateAndCompleteUpdateSession']);
    // Local activities leave a marker each: prepareUpload, createLibraryItem,
    // requestTransferPermit (null: no maxConcurrentTransfers), createUpdateSession,
    // readCompletedSession; and one per patch (hash-when-checked, this one, client-tokens-first,
    // ovf-metadata-first, vcenter-transfer-permits).
    const markers = events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED).length;
    expect(markers).toBe(10);
    const tasks = events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED).length;
    expect(tasks).toBe(3);
    // A first attempt adds the file without asking first; it lists once, after the PUT.
    expect(f.target.sim!.stats.calls('updatesession.file.list') - lists).toBe(1);
  });
});
