/** The one entry the worker bundles: one file per workflow. */
export * from './smoke';
export * from './upload-library-item';
