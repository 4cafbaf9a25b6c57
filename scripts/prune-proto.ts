// @temporalio/proto's JSON root as the CLI bundle carries it (scripts/bundle-cli.ts): the client
// builds a protobufjs reflection object for every type in it at load (its largest start-up cost),
// so the bundle's copy keeps only what the bundled code can reach. What it bought:
// docs/benchmarks.md "Start-up".
import { createRequire } from 'node:module';

/** A namespace, message, enum, service or extension field in protobufjs's JSON form (pbjs -t json). */
export interface ProtoJson {
  nested?: Record<string, ProtoJson>;
  fields?: Record<string, { type: string; keyType?: string }>;
  values?: Record<string, number>;
  methods?: Record<string, { requestType: string; responseType: string }>;
  /** An extension field: the message it extends, and its own type. */
  extend?: string;
  type?: string;
}

/**
 * The namespaces no bundled command uses: the worker's core SDK protos, Temporal Cloud's API, the
 * OpenAPI annotations. The build fails when one is missing or a type kept refers into one.
 */
export const PRUNED_PROTO_NAMESPACES = ['coresdk', 'temporal.api.cloud', 'grpc.gateway'];

/** The JSON root in @temporalio/proto's protos/json-module.js. */
export function protoJsonOf(source: string): Record<string, ProtoJson> {
  const start = source.indexOf('.addJSON(') + '.addJSON('.length;
  return JSON.parse(source.slice(start, source.lastIndexOf('});') + 1)) as Record<string, ProtoJson>;
}

/** Every type, enum, service and namespace of a JSON root by its full name. */
function index(
  nested: Record<string, ProtoJson>,
  path = '',
  names = new Map<string, ProtoJson>(),
): Map<string, ProtoJson> {
  for (const [name, value] of Object.entries(nested)) {
    const full = path ? `${path}.${name}` : name;
    names.set(full, value);
    if (value.nested) index(value.nested, full, names);
  }
  return names;
}

/** The full name `ref` means inside `scope`, by protobuf's rule: innermost enclosing scope first. */
function resolveRef(ref: string, scope: string, names: Map<string, ProtoJson>): string | undefined {
  if (ref.startsWith('.')) return names.has(ref.slice(1)) ? ref.slice(1) : undefined;
  for (let parts = scope.split('.'); ; parts.pop()) {
    const full = parts.length ? `${parts.join('.')}.${ref}` : ref;
    if (names.has(full)) return full;
    if (!parts.length) return undefined;
  }
}

const lcFirst = (name: string) => name.charAt(0).toLowerCase() + name.slice(1);

/**
 * `json` with only what `code` (the bundle's code, without this root) can reach:
 *
 * - a service's method when its name, as protobufjs's `Service#create` names it
 *   (`startWorkflowExecution`), appears in the code as a word: a call through any alias
 *   (`service.describeWorkerDeployment(...)`) or a string key names it; a name built from
 *   pieces at run time would not, and the SDK builds none (its wrappers walk the methods there are);
 * - every message, enum or namespace whose full name appears in the code
 *   (`proto.temporal.api.errordetails.v1.NamespaceNotFoundFailure.decode`, `lookupType('...')`);
 * - every enum not declared in a message, and every extension field (few and cheap);
 * - and all that those refer to, field by field.
 *
 * Also without PRUNED_PROTO_NAMESPACES. Throws, failing the build, when a type kept refers to
 * one that is not (protobufjs would fail on it at run time), or a pruned namespace is missing.
 */
export function reachableProtoJson(
  json: Record<string, ProtoJson>,
  code: string,
): { json: Record<string, ProtoJson>; kept: number; types: number; methods: string[] } {
  const names = index(json);
  const missing = PRUNED_PROTO_NAMESPACES.filter((ns) => !names.has(ns));
  if (missing.length) throw new Error(`@temporalio/proto has no namespace ${missing.join(', ')} to prune`);
  const inPruned = (full: string) =>
    PRUNED_PROTO_NAMESPACES.some((ns) => full === ns || full.startsWith(`${ns}.`));
  const words = new Set(code.match(/[A-Za-z_$][\w$]*/g));

  const keep = new Set<string>();
  const methods = new Map<string, Set<string>>(); // service -> method names kept
  const bad: string[] = [];
  const visit = (full: string, from: string) => {
    if (keep.has(full)) return;
    if (inPruned(full)) {
      bad.push(`${from} -> ${full}`);
      return;
    }
    keep.add(full);
    const value = names.get(full)!;
    const refs: string[] = [];
    // A type declared inside a message is kept with it: the message stays a message.
    const parent = full.slice(0, full.lastIndexOf('.'));
    if (names.get(parent)?.fields) refs.push(`.${parent}`);
    for (const field of Object.values(value.fields ?? {}))
      refs.push(field.type, ...(field.keyType ? [field.keyType] : []));
    if (value.extend) refs.push(value.extend, value.type!);
    if (value.methods) {
      const kept = new Set(Object.keys(value.methods).filter((m) => words.has(lcFirst(m))));
      methods.set(full, kept);
      for (const m of kept) refs.push(value.methods[m]!.requestType, value.methods[m]!.responseType);
    }
    for (const ref of refs) {
      const target = resolveRef(ref, full, names);
      // Scalars (string, int64...) resolve to nothing.
      if (target) visit(target, full);
    }
    // A namespace named in the code keeps all it holds.
    if (!value.fields && !value.values && !value.methods && value.nested)
      for (const name of Object.keys(value.nested)) visit(`${full}.${name}`, full);
  };

  for (const [full, value] of names) {
    if (inPruned(full)) continue;
    // An enum declared in a message is kept with the message only (it would keep the message).
    const inMessage = Boolean(names.get(full.slice(0, full.lastIndexOf('.')))?.fields);
    if ((value.values && !inMessage) || value.extend || value.methods) visit(full, '(the code)');
  }
  // Dotted names from a top-level package on, wherever they start (`proto_1.google.rpc.Status`).
  const roots = Object.keys(json).filter((name) => !inPruned(name));
  for (const match of code.match(new RegExp(`\\b(?:${roots.join('|')})(?:\\.[A-Za-z_]\\w*)+`, 'g')) ?? []) {
    // The longest prefix that names something: `a.b.v1.Type.decode` names a.b.v1.Type.
    for (let parts = match.split('.'); parts.length > 1; parts.pop()) {
      const full = parts.join('.');
      if (names.has(full)) {
        if (!inPruned(full)) visit(full, '(the code)');
        break;
      }
    }
  }
  if (bad.length) throw new Error(`@temporalio/proto: types kept refer to pruned ones: ${bad.join(', ')}`);

  const copy = (nested: Record<string, ProtoJson>, path: string): Record<string, ProtoJson> => {
    const out: Record<string, ProtoJson> = {};
    for (const [name, value] of Object.entries(nested)) {
      const full = path ? `${path}.${name}` : name;
      const inner = value.nested ? copy(value.nested, full) : undefined;
      const hasInner = inner !== undefined && Object.keys(inner).length > 0;
      if (!keep.has(full) && !hasInner) continue;
      const kept: ProtoJson = { ...value };
      if (value.nested) {
        if (hasInner) kept.nested = inner;
        else delete kept.nested;
      }
      if (value.methods)
        kept.methods = Object.fromEntries(
          Object.entries(value.methods).filter(([m]) => methods.get(full)?.has(m)),
        );
      out[name] = kept;
    }
    return out;
  };
  const pruned = copy(json, '');
  const all = [...names.values()].filter((v) => v.fields || v.values).length;
  const kept = [...keep].filter((full) => names.get(full)!.fields || names.get(full)!.values).length;
  const methodNames = [...methods].flatMap(([service, ms]) => [...ms].map((m) => `${service}.${m}`));
  return { json: pruned, kept, types: all, methods: methodNames };
}

/**
 * Loads `json` into a new protobufjs root, of the copy @temporalio/proto uses, and resolves every
 * type and service in it, as the client will: throws, failing the build, on any reference left dangling.
 */
export function checkProtoJson(json: Record<string, ProtoJson>, protoPackageJson: string): void {
  const fromProto = createRequire(protoPackageJson);
  const protobuf = fromProto('protobufjs/light') as {
    Root: { fromJSON(json: unknown): { resolveAll(): unknown } };
  };
  protobuf.Root.fromJSON({ nested: json }).resolveAll();
}
