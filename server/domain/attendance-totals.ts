export type AttendanceStatus = 'PRESENT' | 'LATE' | 'ABSENT' | 'EXCUSED';
export type AttendanceTotals = {
  present: number;
  late: number;
  absent: number;
  excused: number;
  recorded: number;
  sessions: number;
};

/** Counts a student's records by status; `sessions` is how many the course has held so far. */
export function computeAttendanceTotals(statuses: AttendanceStatus[], sessions: number): AttendanceTotals {
  const totals = { present: 0, late: 0, absent: 0, excused: 0, recorded: statuses.length, sessions };
  for (const status of statuses) totals[status.toLowerCase() as Lowercase<AttendanceStatus>] += 1;
  return totals;
}
