export * from './tools';
export * from './free-port';
export * from './temporal-dev-server';
export * from './vcsim';
export * from './stack';
