/**
 * The documented rules this simulator enforces, each tied to the seed sentence it comes from
 * (/work/shared/reference/seeds/). Handlers cite a rule by id next to the check that enforces it,
 * and error messages carry `clsim.<RULE_ID>` as their message id so a test can tell which rule fired.
 * `decision` records what we chose where the sentence leaves room.
 */

import type { API_SESSION_SPEC, API_SPEC } from './rules-api';
import { API_RULES } from './rules-api';

/** Seed file names (Python SDK file/session pages, Perl, REST prepare, Ruby). */
export const SEEDS = {
  FILE: '000_ccfed45e57e8e32c.txt',
  ITEM: '001_c9448fe9d76cab6f.txt',
  PERL: '002_ab68ad6ea0ac596e.txt',
  REST_PREPARE: '003_aa755ae9e2ae4eac.txt',
  RUBY: '004_dd8661f643f27f76.txt',
  VCSIM_NOTES: 'vcsim-notes.md',
} as const;
type Seed = (typeof SEEDS)[keyof typeof SEEDS] | typeof API_SPEC | typeof API_SESSION_SPEC;

export interface Rule {
  seed: Seed;
  /** The path or definition of the api-8.0.2 specification the quote is from. */
  where?: string;
  quote: string;
  enforcement: string;
  decision?: string;
}

const SEED_RULES = {
  AUTH_REQUIRED: {
    seed: SEEDS.VCSIM_NOTES,
    quote:
      'send it as the `vmware-api-session-id` header on every later call, including the PUT and GET on transfer URLs.',
    enforcement:
      'Every call but login (both flavours, transfers included) needs a live login token; otherwise 401 unauthenticated. A token from either login works on both.',
    decision:
      'The vmware-api-session-id cookie is accepted too (vcsim sets it). invalidateLogins() drops all tokens.',
  },
  US_ONE_ACTIVE_PER_ITEM: {
    seed: SEEDS.ITEM,
    quote:
      'Content Library Service allows only one single update session to be active for a specific library item. ... ResourceBusy if there is another update session on the same library item.',
    enforcement:
      'updatesession.create on an item with an ACTIVE update session: resource_busy naming that session (400 on /rest; 500 on /api, API_ERRORS).',
    decision: 'Only ACTIVE sessions block; DONE/ERROR/CANCELED ones do not.',
  },
  CLIENT_TOKEN_IDEMPOTENT: {
    seed: SEEDS.ITEM,
    quote: 'This token can be used to guarantee idempotent creation.',
    enforcement:
      'A create repeating a client_token returns the id the first create returned (no new session, no ResourceBusy).',
    decision:
      'The token is remembered while its session exists; once the session is deleted or expired, the token is forgotten and a create with it makes a new session. A token reused with a different create_spec is InvalidArgument.',
  },
  CLIENT_TOKEN_UUID: {
    seed: SEEDS.ITEM,
    quote: 'InvalidArgument if the client_token does not conform to the UUID format.',
    enforcement:
      'A client_token that is not a UUID: 400 invalid_argument (update and download sessions, items, libraries).',
  },
  CREATE_ITEM_NOT_FOUND: {
    seed: SEEDS.ITEM,
    quote:
      'NotFound if the item targeted for update does not exist. ... NotFound if the library item targeted by the download does not exist.',
    enforcement: 'Session create on an unknown item: 404 not_found (vcsim crashes the handler).',
  },
  LIST_FILTER_NOT_FOUND: {
    seed: SEEDS.ITEM,
    quote: 'NotFound if a library item identifier is given for an item which does not exist.',
    enforcement: 'update/download session list with an unknown library_item_id: 404 not_found.',
  },
  SESSION_NOT_FOUND: {
    seed: SEEDS.ITEM,
    quote: 'NotFound if no update session with the given identifier exists.',
    enforcement: 'Every call on an unknown, deleted or expired session: 404 not_found.',
  },
  US_KEEP_ALIVE_ACTIVE: {
    seed: SEEDS.ITEM,
    quote:
      'keep_alive(update_session_id, client_progress=None) ... NotAllowedInCurrentState if the update session is not in the UpdateSessionModel.State.ACTIVE state.',
    enforcement: 'keep-alive on a non-ACTIVE update session: 400 not_allowed_in_current_state.',
  },
  PROGRESS_MONOTONIC: {
    seed: SEEDS.ITEM,
    quote: 'If specified, the new progress should be greater then the current progress.',
    enforcement:
      'keep-alive with client_progress <= the current progress: 400 invalid_argument; nothing changes (not even the lease).',
    decision: 'Equal is refused: "greater" is strict. A client with no new progress omits the field.',
  },
  PROGRESS_RANGE: {
    seed: SEEDS.ITEM,
    quote: 'The initial progress is 0 until updated by the client. The maximum value is 100',
    enforcement: 'client_progress must be an integer in 0..100, else 400 invalid_argument.',
  },
  US_COMPLETE_ACTIVE: {
    seed: SEEDS.ITEM,
    quote: 'This method requires the session to be in the UpdateSessionModel.State.ACTIVE state.',
    enforcement:
      'complete on a non-ACTIVE update session (or one whose completion is already under way): 400 not_allowed_in_current_state.',
  },
  US_COMPLETE_FILES_RECEIVED: {
    seed: SEEDS.ITEM,
    quote:
      'NotAllowedInCurrentState if the update session is not in the UpdateSessionModel.State.ACTIVE state, or if some of the files that will be uploaded by the client aren’t received correctly.',
    enforcement:
      'complete refused while a PUSH file is WAITING_FOR_TRANSFER/TRANSFERRING, any file is ERROR, or an OVF descriptor references a file the session lacks.',
  },
  US_COMPLETE_PUSH_SYNC: {
    seed: SEEDS.ITEM,
    quote:
      'If the client is pushing the content to the server, the library item will be updated once this call returns. If the server is pulling the content, the call may return before the changes become visible.',
    enforcement:
      'With only PUSH files complete applies the changes before answering; with PULLs in flight it answers at once and applies (DONE) or fails (ERROR) when they end.',
  },
  US_VISIBLE_AFTER_COMPLETE: {
    seed: SEEDS.ITEM,
    quote:
      'Modifications are not visible to other clients unless the session is completed and all necessary files have been received.',
    enforcement:
      'Item files, size and content_version do not change until complete; complete applies adds/removes and increments content_version.',
    decision: 'Every successful complete increments content_version, even one with no file changes.',
  },
  FILE_VERSION_BUMP: {
    seed: SEEDS.ITEM,
    quote: 'The version of this file; incremented when a new copy of the file is uploaded.',
    enforcement: 'Replacing an existing file at complete increments its version; a new file starts at "1".',
  },
  US_CANCEL_ACTIVE: {
    seed: SEEDS.ITEM,
    quote:
      'This method is not allowed if the session has been already completed. ... NotAllowedInCurrentState if the update session is not in the UpdateSessionModel.State.ACTIVE state.',
    enforcement: 'cancel on a non-ACTIVE update session: 400 not_allowed_in_current_state.',
  },
  US_CANCEL_DISCARDS: {
    seed: SEEDS.ITEM,
    quote:
      'Cancelling an update session will cancel any in progress transfers (either uploaded by the client or pulled by the server). Any content that has been already received will be scheduled for deletion.',
    enforcement:
      'cancel aborts PUTs and PULLs of the session, deletes its received temp files and sets CANCELED.',
    decision:
      '"Cancels the update session and deletes it" vs the CANCELED state: we keep the record in CANCELED (so it can be observed) and delete it like a finished session, after the idle timeout or on delete.',
  },
  US_FAIL_ACTIVE: {
    seed: SEEDS.ITEM,
    quote:
      'fail(update_session_id, client_error_message) ... NotAllowedInCurrentState if the update session is not in the UpdateSessionModel.State.ACTIVE state.',
    enforcement: 'fail on a non-ACTIVE update session: 400 not_allowed_in_current_state.',
  },
  US_FAIL_ERROR: {
    seed: SEEDS.ITEM,
    quote:
      'Terminates the update session with a client specified error message. ... If the session is in the UpdateSessionModel.State.ERROR status this property will have more details about the error.',
    enforcement:
      'fail sets ERROR with error_message.default_message = client_error_message; received content is discarded as on cancel.',
  },
  US_DELETE_NOT_ACTIVE: {
    seed: SEEDS.ITEM,
    quote:
      'delete(update_session_id) ... NotAllowedInCurrentState if the update session is in the UpdateSessionModel.State.ACTIVE state.',
    enforcement: 'DELETE on an ACTIVE update session: 400 not_allowed_in_current_state.',
  },
  US_EXPIRY: {
    seed: SEEDS.ITEM,
    quote:
      'If there is no activity for an update session after a period of time, the update session will expire, then be deleted. The update session expiration timeout is configurable in the Content Library Service system configuration. The default is five minutes.',
    enforcement:
      'sessionIdleTimeoutMs (default 300000). keep-alive, file add/remove/validate/complete and every byte of a PUT or PULL reset the clock; get/list do not. An expired session is deleted (404), its transfers aborted and temp files removed.',
    decision:
      'There is no EXPIRED state in the model, so expiry is deletion. Checked lazily on every request plus an unref’d sweep timer.',
  },
  US_FINISHED_CLEANUP: {
    seed: SEEDS.ITEM,
    quote:
      'Update sessions for which there is no upload activity or which are complete will automatically be deleted after a period of time.',
    enforcement:
      'DONE/ERROR/CANCELED update sessions are deleted after the same idle timeout, counted from their last transition.',
  },
  FILE_SPEC_INVALID: {
    seed: SEEDS.FILE,
    quote: 'InvalidArgument if the file_spec is invalid.',
    enforcement:
      'add needs a non-empty name without "/", "\\\\" or a ".." segment, source_type PUSH or PULL, a PULL source_endpoint with an http, https or file URI, size >= 0, a checksum algorithm (CHECKSUM_ALGORITHMS) with a hex checksum of its length.',
    decision: 'ds:// sources are refused (no datastore here); file:// is read from the local disk.',
  },
  FILE_NAME_NONEMPTY: {
    seed: SEEDS.ITEM,
    quote: 'This value will be unique within the library item for each file. It cannot be an empty string.',
    enforcement: 'Empty file names are InvalidArgument.',
  },
  FILE_ADD_REPLACES: {
    seed: SEEDS.FILE,
    quote:
      'If a file with the same name already exists in this session, this method will be used to update the content of the existing file.',
    enforcement:
      'Re-adding a name aborts its transfer, discards what was received and issues a new upload endpoint; the old endpoint answers 404.',
  },
  FILE_ADD_ACTIVE: {
    seed: SEEDS.ITEM,
    quote:
      'ACTIVE ... The session is currently active. This is the initial state when the session is created. Files may be uploaded by the client or pulled by the Content Library Service at this stage.',
    enforcement: 'add/remove and PUTs need an ACTIVE session: otherwise 400 not_allowed_in_current_state.',
  },
  TRANSFER_STATUS: {
    seed: SEEDS.ITEM,
    quote:
      'WAITING_FOR_TRANSFER ... Indicates that a file has been defined for a library item and its content needs to be uploaded. TRANSFERRING ... Indicates that data is being transferred to the file. READY ... Indicates that the file has been fully transferred and is ready to be used. ERROR ... Indicates that there was an error transferring or validating the file.',
    enforcement:
      'PUSH: WAITING_FOR_TRANSFER -> TRANSFERRING (bytes_transferred live) -> READY, or ERROR on a size or checksum mismatch or a cut connection. PULL starts TRANSFERRING.',
    decision:
      'A second PUT to the same endpoint restarts the file from zero unless one is in flight (then resource_busy). Content-Range PUTs are refused (invalid_argument).',
  },
  CHECKSUM_ALGORITHMS: {
    seed: SEEDS.ITEM,
    quote:
      'algorithm (File.ChecksumAlgorithm or None) – The checksum algorithm (SHA1, MD5) used to calculate the checksum.',
    enforcement:
      '/rest file add accepts SHA1 and MD5 only (400 invalid_argument otherwise); /api also SHA256 and SHA512 (api-8.0.2 ContentLibraryItemFileChecksumAlgorithm). The received bytes are checked with the algorithm named.',
  },
  CHECKSUM_DEFAULT_SHA1: {
    seed: SEEDS.ITEM,
    quote: 'If not specified the default checksum algorithm is File.ChecksumAlgorithm.SHA1.',
    enforcement:
      'checksum_info without algorithm is checked as SHA1; item files always report a SHA1 checksum_info.',
  },
  FILE_REMOVE_AT_COMPLETE: {
    seed: SEEDS.FILE,
    quote:
      'Requests a file to be removed. The file will only be effectively removed when the update session is completed.',
    enforcement:
      'remove drops the file from the session view (list/get) but the item keeps it until complete.',
  },
  FILE_NOT_IN_SESSION: {
    seed: SEEDS.FILE,
    quote:
      'InvalidArgument if the file doesn’t exist in the library item associated with the update session.',
    enforcement:
      'updatesession file get/remove of a name neither added nor in the item snapshot: 400 invalid_argument.',
  },
  SESSION_FILE_VIEW: {
    seed: SEEDS.FILE,
    quote:
      'Lists all files in the library item associated with the update session. ... This list may be empty if the caller has removed all the files as part of this session (in which case completing the update session will result in an empty library item).',
    enforcement:
      'The update-session file list is the item snapshot (source_type NONE, READY) minus removals, overlaid by added files.',
  },
  VALIDATE_ACTIVE: {
    seed: SEEDS.FILE,
    quote:
      'validate ... NotAllowedInCurrentState if the update session is not in the com.vmware.content.library.item_client.UpdateSessionModel.State.ACTIVE state',
    enforcement: 'validate on a non-ACTIVE session: 400 not_allowed_in_current_state.',
    decision:
      'validate itself never fails for missing files; it reports them (the sentence’s second clause is for complete).',
  },
  VALIDATE_MISSING: {
    seed: SEEDS.FILE,
    quote:
      'In the case where a file is missing, this method will return its name in the File.ValidationResult.missing_files set.',
    enforcement:
      'missing_files = added files not READY (WAITING_FOR_TRANSFER, TRANSFERRING) plus, for items of type ovf, files an .ovf descriptor references (<File ovf:href>) that the session view lacks.',
  },
  VALIDATE_INVALID: {
    seed: SEEDS.FILE,
    quote:
      'For other type of errors, File.ValidationResult.invalid_files will contain the list of invalid files.',
    enforcement:
      'invalid_files = files in ERROR, with their error_message; has_errors when either list is non-empty.',
  },
  PULL_THUMBPRINT: {
    seed: SEEDS.ITEM,
    quote:
      'If set, the remote endpoint’s SSL certificate is only accepted if it matches this thumbprint, and no other certificate validation is performed. If not specified, standard certificate validation is performed.',
    enforcement:
      'PULL over https compares the SHA-1 of the peer certificate with ssl_certificate_thumbprint, else verifies the chain normally.',
    decision:
      'A non-2xx HTTP status from the source is a transfer error (vcsim ignores it). On /api, ssl_certificate (PEM, later releases) wins over the thumbprint and must equal the peer certificate; a 64-hex-digit thumbprint is SHA-256.',
  },
  DS_KEEP_ALIVE_ACTIVE: {
    seed: SEEDS.ITEM,
    quote:
      'Keeps a download session alive. This operation is allowed only if the session is in the DownloadSessionModel.State.ACTIVE state.',
    enforcement:
      'download keep-alive on a non-ACTIVE session: 400 not_allowed_in_current_state; progress follows PROGRESS_MONOTONIC.',
  },
  DS_CANCEL: {
    seed: SEEDS.ITEM,
    quote:
      'Cancels the download session. This method will abort any ongoing transfers and invalidate transfer urls that the client may be downloading from. ... The session will stay in this state until it is either deleted by the user or automatically cleaned up by the Content Library Service.',
    enforcement:
      'cancel (ACTIVE only) aborts GETs, invalidates download URLs (404) and sets CANCELED; the session stays (vcsim deletes it).',
  },
  DS_FAIL: {
    seed: SEEDS.ITEM,
    quote:
      'Terminates the download session with a client specified error message. ... NotAllowedInCurrentState if the download session is not in the DownloadSessionModel.State.ACTIVE state.',
    enforcement:
      'fail (ACTIVE only) sets ERROR with the client message and invalidates download URLs; the session stays.',
  },
  DS_EXPIRY: {
    seed: SEEDS.ITEM,
    quote:
      'If there is no activity for a download session for a certain period of time, the download session will expire. ... Download sessions for which there is no download activity or which are complete will automatically be expired and then deleted after a period of time.',
    enforcement:
      'Same idle timeout as update sessions; keep-alive, prepare and every byte of a GET reset it; expired means deleted (404).',
  },
  DS_CONTENT_VERSION: {
    seed: SEEDS.ITEM,
    quote:
      'This value is the com.vmware.content.library_client.ItemModel.content_version at the time when the session is created for the library item.',
    enforcement:
      'A download session records the item content_version and file contents at create; later completes do not change what it serves.',
  },
  DS_PREPARE_REQUIRED: {
    seed: SEEDS.FILE,
    quote:
      'the client will have to prepare the file and wait for the file status to become File.PrepareStatus.PREPARED.',
    enforcement: 'Files start UNPREPARED; a GET on a file not PREPARED: 400 not_allowed_in_current_state.',
  },
  DS_PREPARE_STATES: {
    seed: SEEDS.REST_PREPARE,
    quote:
      "PREPARE_REQUESTED: A prepare has been requested, however the server hasn't started the preparation yet. PREPARING: A prepare has been requested and the file is in the process of being prepared. PREPARED: Prepare succeeded. The file is ready for download. ERROR: Prepare failed.",
    enforcement:
      'prepare answers PREPARE_REQUESTED, then timers move it to PREPARING (prepareDelayMs/2) and PREPARED or ERROR (prepareDelayMs).',
    decision:
      'prepare on a non-ACTIVE download session is not_allowed_in_current_state (its URLs are invalidated anyway).',
  },
  DS_ENDPOINT_AFTER_PREPARED: {
    seed: SEEDS.REST_PREPARE,
    quote:
      "The value is valid only when the content.library.item.downloadsession.file.info.status is PREPARED. Optional. This field won't be set until the file status is PREPARED.",
    enforcement:
      'download_endpoint appears only in PREPARED; HTTPS gives this server’s data URL, DIRECT a file:// URI of the stored file.',
  },
  DS_UNKNOWN_FILE: {
    seed: SEEDS.REST_PREPARE,
    quote: '400 | invalid_argument | if there is no file with the specified file_name .',
    enforcement: 'download-session file get/prepare of an unknown name: 400 invalid_argument.',
  },
  DS_CHECKSUM_AFTER_DOWNLOAD: {
    seed: SEEDS.REST_PREPARE,
    quote:
      "The checksum is always calculated for the downloaded file, but this field won't be set until the download is complete.",
    enforcement: 'checksum_info (SHA1) appears once GETs (ranged or not) have served every byte of the file.',
    decision: 'size is reported from PREPARED on ("may not be available immediately" allows earlier).',
  },
  DS_BYTES_TRANSFERRED: {
    seed: SEEDS.REST_PREPARE,
    quote: 'This value may stay at zero till the client starts downloading the file.',
    enforcement: 'bytes_transferred counts bytes the server has sent for the file.',
  },
  ITEM_FILE_NOT_FOUND: {
    seed: SEEDS.ITEM,
    quote: 'NotFound if name refers to a file that does not exist in the library item.',
    enforcement: 'item file get / storage get of an unknown name: 404 not_found.',
  },
  DATASTORE_BACKING: {
    seed: SEEDS.VCSIM_NOTES,
    quote:
      'A library created with a missing or wrong datastore id crashes the handler (the client sees a reset connection).',
    enforcement:
      'Library create needs storage_backings [{type: DATASTORE, datastore_id: sim.datastoreId}]; anything else: 400 invalid_argument.',
  },
} as const satisfies Record<string, Rule>;

/** Every rule: the seeds' (/rest and the model) and the api-8.0.2 ones (rules-api.ts). */
export const RULES = { ...SEED_RULES, ...API_RULES };

export type RuleId = keyof typeof RULES;
