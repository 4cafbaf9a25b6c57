/**
 * Turns an upload source into a plan: the item files to send, in order, with where
 * each one's bytes come from. Everything checkable without a session is checked here,
 * so a bad source fails fast with a message that says what to fix.
 */
import type { UploadSource } from '../../workflows/definitions/upload';
import { SourceError } from './errors';
import type { CheckRead } from './local-files';
import { planOva } from './ova';
import { planOvf } from './ovf';
import type { SourcePlan } from './plan-model';
import { planSingleFile } from './single-file';
import { planUrl } from './url';

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

/** Options of {@link planSource}. */
export interface PlanSourceOptions {
  /**
   * Called with every local path before it is opened (the source, each file an OVF references,
   * its manifest and certificate), and with the input field it came from; rejects to refuse it.
   * The activities pass the worker's read-root check (activities/allowed-paths.ts). @default none
   */
  checkRead?: CheckRead;
}

/** Plans `source`; rejects with a {@link SourceError} when it cannot be uploaded as given. */
export async function planSource(source: UploadSource, options: PlanSourceOptions = {}): Promise<SourcePlan> {
  const { checkRead } = options;
  switch (source.kind) {
    case 'file':
      return planSingleFile(source, checkRead);
    case 'ovf':
      return planOvf(source, checkRead);
    case 'ova':
      return planOva(source, checkRead);
    case 'url':
      return planUrl(source);
    case 'library-item':
      // Planning it needs the source vCenter: the planUpload activity does it (activities/relay-file.ts).
      throw new SourceError(
        'SOURCE_NOT_FOUND',
        'a library-item source is planned by the planUpload activity, on a worker',
      );
  }
}
