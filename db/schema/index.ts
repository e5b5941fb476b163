export * from './attendance';
export * from './content';
export * from './gradebook';
export * from './notifications';
export * from './outbox';
export * from './people';
export * from './rate-limits';
export * from './voting';
