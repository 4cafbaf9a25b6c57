/** The one entry the worker bundles: one file per workflow. */
export * from './smoke';
export * from './upload-library-item';
export * from './reap-orphan-sessions';
export * from './download-library-item';
export * from './sync-library';
