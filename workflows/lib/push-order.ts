/**
 * The order in which an upload's files are added to its update session. For an item of type
 * ovf, vCenter 6.8 and later refuse a manifest or certificate added after the OVF descriptor
 * (api-8.0.2, POST .../update-session/{id}/file, "400": "if metadata files such as manifest and
 * certificate file are added after the OVF descriptor file"), so those go in a wave of their own,
 * finished before the descriptor and the disks start. Pure: workflow code.
 */

/** What the order depends on: the plan's item type and file names. */
export interface PushOrderPlan {
  itemType: string;
  files: ReadonlyArray<{ name: string }>;
}

const METADATA = /\.(mf|cert)$/i;

/** Indices of `plan.files` in waves: each wave is pushed (concurrently) only after the one before has finished. */
export function pushWaves(plan: PushOrderPlan): number[][] {
  const all = plan.files.map((_, i) => i);
  if (plan.itemType !== 'ovf') return [all];
  const metadata = all.filter((i) => METADATA.test(plan.files[i]!.name));
  if (metadata.length === 0 || metadata.length === all.length) return [all];
  return [metadata, all.filter((i) => !METADATA.test(plan.files[i]!.name))];
}
