/** Live-pipeline test helpers (server/live/*.test.ts). */
export { startTestApp, type TestApp } from '../app';
export { countQueries, newStreams } from './app';
export {
  allUpdates,
  type Closed,
  connectLive,
  type GqlError,
  gql,
  gqlOk,
  type LiveConnection,
  LiveStream,
  multipartSubscribe,
  rawSocket,
  sseSubscribe,
} from './clients';
export { type LiveDatabase, type OutboxEntry, openLiveDatabase, strictlyIncreasing } from './db';
export { useLiveApp } from './fixture';
export { expectedFor, loadMemberships, type Memberships, maySee, type Persona } from './oracle';
export * from './queries';
export { Collector, TimeoutError, waitFor } from './wait';
