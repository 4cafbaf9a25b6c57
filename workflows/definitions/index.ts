/** What clients share with workflows: schemas, message definitions, search-attribute keys. No I/O. */
export * from './search-attributes';
export * from './task-queues';
export * from './smoke';
