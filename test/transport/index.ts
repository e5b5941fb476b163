/** Probes of the transports: raw graphql-transport-ws sockets, crafted tokens, slow readers, /metrics. */

export { textOfFrame } from './frames';
export { type MetricSample, metric, parseMetrics } from './metrics';
export { gradeEveryoneWithNotes, HEAVY_GRADES, hubCaughtUp, NOTE_BYTES, tcpOf } from './slow';
export { ackedSocket, ackOrClose, answerOrClose, initResult, runOperation, upgrade } from './sockets';
export { type CraftedToken, craftToken } from './tokens';
export { type GradeWatch, watchGrades } from './watch';
