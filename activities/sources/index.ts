/**
 * The source layer of the activities: planning an upload from a file, an OVF package,
 * an OVA or a URL, and streaming planned byte ranges. No Temporal here; the activities
 * wrap it.
 */
export { SourceError, SourceErrorCode, type SourceErrorOptions } from './errors';
export {
  createDigester,
  type Digester,
  type DigestAlgorithm,
  ManifestAlgorithm,
  ManifestDigest,
  parseManifest,
} from './manifest';
export { planSource, type PlanSourceOptions } from './plan';
export type { CheckRead } from './local-files';
export {
  FileOrigin,
  isLocalFile,
  PlannedFile,
  PlannedLocalFile,
  PlannedUrlFile,
  PlannedRelayFile,
  LibraryItemOrigin,
  SourcePlan,
  UrlOrigin,
} from './plan-model';
export { openRange, readRange, type OpenRangeOptions, type ReadRangeOptions } from './range-reader';
