import postgres, { type Sql } from 'postgres';
import { monoMicros } from './hist';
import type { Population } from './infra';

/**
 * What event `n` commits, its schedule stamped in as `stamp` ("<seq>:<scheduled µs>"), and which
 * course it belongs to (receivers count it against that course's subscribers).
 */
export type EventCommit = (sql: Sql, n: number, stamp: string) => { course: number; commit: PromiseLike<unknown> };

/** The default event: a grade of course seq % courses gets a new score, its note the stamp. */
const gradeUpdate =
  (population: Population): EventCommit =>
  (sql, n, stamp) => {
    const C = population.courses.length;
    const course = n % C;
    const rows = population.grades[course];
    const gradeId = rows[Math.floor(n / C) % rows.length];
    return { course, commit: sql`update grades set score = ${n % 100}, note = ${stamp} where id = ${gradeId}` };
  };

/** The lecture's event: one of its grades gets a new score; it counts against course index `courses.length`. */
export const lectureGradeUpdate =
  (population: Population): EventCommit =>
  (sql, n, stamp) => {
    const rows = population.lecture.grades;
    const gradeId = rows[n % rows.length];
    return {
      course: population.courses.length,
      commit: sql`update grades set score = ${n % 100}, note = ${stamp} where id = ${gradeId}`,
    };
  };

/**
 * The open-loop writer: event i of a phase is *scheduled* at t0 + i/rate and its schedule is
 * stamped into the row it commits (`grades.note = "<seq>:<scheduled µs>"`), so a receiver
 * measures receipt − scheduled and a writer or server that falls behind shows up as latency
 * instead of silently slowing the load down. Each event is one real commit through every trigger:
 * by default a grade of course seq % courses, or what `event` says (a chat message in (h)).
 */
export function createWriter(databaseUrl: string, population: Population, event = gradeUpdate(population)) {
  const sql = postgres(databaseUrl, { max: 8, onnotice: () => {} });
  let seq = 0;

  async function run(options: { rate: number; seconds: number; maxInFlight?: number }) {
    const total = Math.max(1, Math.round(options.rate * options.seconds));
    const start = seq;
    seq += total;
    const courseOfSeq = new Array<number>(total).fill(-1);
    const commitMicros: number[] = [];
    const intervalMicros = 1e6 / options.rate;
    const t0 = monoMicros() + 50_000;
    const maxInFlight = options.maxInFlight ?? 64;
    let inFlight = 0;
    let failed = 0;
    let behind = 0;
    let wake: (() => void) | null = null;
    const done: Promise<void>[] = [];

    for (let i = 0; i < total; i++) {
      const scheduled = Math.round(t0 + i * intervalMicros);
      for (;;) {
        const wait = scheduled - monoMicros();
        if (wait <= 0) break;
        await new Promise((r) => (wait > 1500 ? setTimeout(r, Math.floor(wait / 1000)) : setImmediate(r)));
      }
      while (inFlight >= maxInFlight) {
        behind += 1;
        await new Promise<void>((r) => (wake = r));
      }
      const n = start + i;
      const { course, commit } = event(sql, n, `${n}:${scheduled}`);
      inFlight += 1;
      done.push(
        Promise.resolve(commit)
          .then(() => {
            courseOfSeq[i] = course;
            commitMicros.push(monoMicros() - scheduled);
          })
          .catch(() => void (failed += 1))
          .finally(() => {
            inFlight -= 1;
            const w = wake;
            wake = null;
            w?.();
          }),
      );
    }
    await Promise.all(done);
    commitMicros.sort((a, b) => a - b);
    const q = (p: number) =>
      commitMicros.length
        ? Math.round(commitMicros[Math.min(commitMicros.length - 1, Math.floor(p * commitMicros.length))] / 10) / 100
        : null;
    return {
      start,
      end: start + total,
      courseOfSeq,
      failed,
      /** How often the writer hit its in-flight cap (the database could not keep up). */
      behind,
      commitMs: { p50: q(0.5), p99: q(0.99) },
      t0,
    };
  }

  return {
    run,
    /** Reserve the seq range of the next phase (so receivers can be told before writing). */
    peek: (rate: number, seconds: number) => ({ start: seq, end: seq + Math.max(1, Math.round(rate * seconds)) }),
    sql,
    stop: () => sql.end({ timeout: 5 }),
  };
}

export type Writer = ReturnType<typeof createWriter>;
