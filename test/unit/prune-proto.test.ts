import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type * as Protobuf from 'protobufjs';
import { checkProtoJson, protoJsonOf, reachableProtoJson, type ProtoJson } from '../../scripts/prune-proto';

const protoPackage = require.resolve('@temporalio/proto/package.json');
const full = () =>
  protoJsonOf(readFileSync(require.resolve('@temporalio/proto/protos/json-module.js'), 'utf8'));

/** The entry at `path` (a.b.C) of a JSON root, or undefined. */
function at(json: Record<string, ProtoJson>, path: string): ProtoJson | undefined {
  let nested: Record<string, ProtoJson> | undefined = json;
  let found: ProtoJson | undefined;
  for (const name of path.split('.')) {
    found = nested?.[name];
    nested = found?.nested;
  }
  return found;
}

describe("the CLI bundle's @temporalio/proto root (scripts/prune-proto.ts)", () => {
  // As the bundle's code reads after esbuild: the SDK's and our modules, minified whitespace.
  const code = [
    'const service=client.connection.workflowService;await service.describeWorkerDeployment({namespace});',
    'await this.workflowService.startWorkflowExecution(req);',
    'return proto_1.google.rpc.Status.decode(statusBuffer).details;',
    "const historyType=patched.lookupType('temporal.api.history.v1.History');",
  ].join('\n');

  it('keeps the methods the code names, through any alias, and the types the code names', () => {
    const { json } = reachableProtoJson(full(), code);
    const methods = Object.keys(at(json, 'temporal.api.workflowservice.v1.WorkflowService')!.methods!);
    expect(methods.sort()).toEqual(['DescribeWorkerDeployment', 'StartWorkflowExecution']);
    expect(at(json, 'google.rpc.Status')?.fields).toBeDefined();
    expect(at(json, 'temporal.api.history.v1.History')?.fields).toBeDefined();
    // What those reach, field by field.
    expect(at(json, 'temporal.api.history.v1.WorkflowExecutionCompletedEventAttributes')).toBeDefined();
    expect(at(json, 'temporal.api.common.v1.Payload')).toBeDefined();
    // What nothing names or reaches, and the namespaces left out whole.
    expect(at(json, 'temporal.api.workflowservice.v1.ListBatchOperationsRequest')).toBeUndefined();
    expect(at(json, 'temporal.api.batch.v1.BatchOperationInfo')).toBeUndefined();
    expect(json.coresdk).toBeUndefined();
    expect(at(json, 'temporal.api.cloud')).toBeUndefined();
  });

  it('leaves a root the client can use: every reference resolves, messages encode and decode', () => {
    const { json } = reachableProtoJson(full(), code);
    expect(() => checkProtoJson(json, protoPackage)).not.toThrow();
    const protobuf = createRequire(protoPackage)('protobufjs/light') as typeof Protobuf;
    const root = protobuf.Root.fromJSON({ nested: json });
    const request = root.lookupType('temporal.api.workflowservice.v1.StartWorkflowExecutionRequest');
    const bytes = request.encode({ workflowId: 'upload/x', requestId: 'r1' }).finish();
    expect(request.decode(bytes).toJSON()).toEqual({ workflowId: 'upload/x', requestId: 'r1' });
  });

  it('keeps a message an enum or type is declared in as a message, not a bare namespace', () => {
    // Top-level enums are all kept; EnvironmentInfo.Architecture is declared in a message.
    const { json } = reachableProtoJson(full(), `x.temporal.api.worker.v1.EnvironmentInfo.Architecture`);
    expect(at(json, 'temporal.api.worker.v1.EnvironmentInfo')?.fields).toBeDefined();
    expect(() => checkProtoJson(json, protoPackage)).not.toThrow();
  });

  it('fails the build when a type kept refers into a namespace left out', () => {
    const json: Record<string, ProtoJson> = {
      coresdk: { nested: { Job: { fields: { id: { type: 'string' } } } } },
      grpc: { nested: { gateway: { nested: {} } } },
      temporal: {
        nested: {
          api: {
            nested: {
              cloud: { nested: {} },
              v1: { nested: { Task: { fields: { job: { type: 'coresdk.Job' } } } } },
            },
          },
        },
      },
    };
    expect(() => reachableProtoJson(json, 'temporal.api.v1.Task')).toThrow(
      'types kept refer to pruned ones: temporal.api.v1.Task -> coresdk.Job',
    );
  });
});
