// Public API of the evaluation metrics.
export * from './keys';
export * from './splits';
export * from './sampling';
export * from './ranking';
export * from './evaluate';
export * from './rating';
export * from './beyond';
export * from './itempop';
