/**
 * The vSphere Content Library REST client: schemas (the types), errors, TLS and
 * redaction helpers, and {@link ContentLibraryClient}. Knows nothing of Temporal.
 */
export * from './schemas';
export * from './errors';
export * from './error-mapping';
export * from './tls';
export * from './redact';
export * from './client';
