export * from './people';
export * from './gradebook';
export * from './attendance';
export * from './voting';
export * from './content';
export * from './notifications';
export * from './outbox';
export * from './rate-limits';
