/** Live-pipeline test helpers (server/live/*.test.ts). */
export { newStreams, startLiveApp, type LiveTestApp } from './app';
export { allUpdates, connectLive, gql, gqlOk, LiveStream, rawSocket, sseSubscribe, type Closed, type GqlError, type LiveConnection } from './clients';
export { compareCursor, openLiveDatabase, strictlyIncreasing, type LiveDatabase, type OutboxEntry } from './db';
export { Collector, TimeoutError, waitFor } from './wait';
export * from './queries';
export { expectedFor, loadMemberships, maySee, type Memberships, type Persona } from './oracle';
