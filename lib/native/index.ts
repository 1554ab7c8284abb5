export * from './linear';
export * from './pooling';
export * from './activation';
export * from './loss';
export * from './training';
export * from './network';
