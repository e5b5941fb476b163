/** Helpers for the hardening suite (server/hardening/*.test.ts). */

export { type MetricSample, metric, parseMetrics } from './metrics';
export { gradeEveryoneWithNotes, HEAVY_GRADES, hubCaughtUp, NOTE_BYTES, tcpOf } from './slow';
export { ackedSocket, ackOrClose, answerOrClose, initResult, runOperation, upgrade } from './sockets';
export { type LogLine, type SpawnedApi, spawnApi } from './spawn';
export { type CraftedToken, craftToken } from './tokens';
export { type GradeWatch, watchGrades } from './watch';
