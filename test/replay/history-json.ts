/**
 * History ⇄ proto JSON (the form of `temporal workflow show --output json`), as
 * `historyToJSON`/`historyFromJSON` in @temporalio/common do. Those two fail in this install
 * with "type must be a Type": npm gave @temporalio/common and @temporalio/proto separate copies
 * of protobufjs 8 (a protobufjs 7 sits at the top for other packages), and common's protojson
 * rejects the types of proto's root. Worker.runReplayHistories calls historyFromJSON on a JSON
 * history too, so the corpus is handed to it as History objects converted here, with the
 * protojson of the protobufjs that @temporalio/proto's root was built with.
 */
import { createRequire } from 'node:module';
import type { History } from '@temporalio/common/lib/proto-utils';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import type { JsonHistory } from './classify';

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options?: { ignoreUnknownFields?: boolean }): unknown;
}
const protojson = createRequire(require.resolve('@temporalio/proto'))(
  'protobufjs/ext/protojson',
) as ProtoJson;
// The patched root is a protobufjs Root at run time; its declared type is the generated namespace.
const root = patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown };
const historyType = root.lookupType('temporal.api.history.v1.History');

/** A fetched History as proto JSON. */
export function historyToJson(history: History): JsonHistory {
  return protojson.toJson(
    historyType,
    proto.temporal.api.history.v1.History.fromObject(history),
  ) as JsonHistory;
}

/** A recorded JSON history as the History object replay takes. */
export function historyFromJson(json: JsonHistory): History {
  const history = protojson.fromJson(historyType, json, { ignoreUnknownFields: true }) as History | null;
  if (!history) throw new TypeError('not a workflow history: expected {"events": [...]} in proto JSON');
  return history;
}
