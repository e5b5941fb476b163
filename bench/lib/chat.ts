import postgres from 'postgres';
import { monoMicros, newHistogram, record, summary } from './hist';
import { type PhaseResult, runPhase, warmUp } from './phase';
import type { Context } from './scenarios';
import { startSystem } from './systems';
import { createWriter } from './writer';
import { claimsOf, type GraphqlWs, openGraphqlWs } from './ws-client';

/**
 * Chat, presence and typing (issue 12) against the anchors: presence converging across two
 * instances (Phoenix Presence broadcasts every 1.5 s), a killed instance's users leaving everyone's
 * view (Phoenix: 30 s), typing delivered across instances, a channel message commit → every
 * recipient at N subscribers, and every message exactly once through an instance kill and resume.
 * Homeroom only (neither raw ws nor PostGraphile has chat). Three instances share Redis: watchers on
 * A, people arriving on B, C is the one killed. The message subscribers are load generators (as in
 * (a)); the few presence, typing and resume clients run in the harness. All on the load core.
 */
export type ChatResult = {
  subscribers: number;
  messages: number;
  messageLatencyMs: ReturnType<typeof summary>;
  messagesLost: number;
  messagesDuplicated: number;
  /** Both instances' CPU per delivery and each core's busy share while the messages went out. */
  messageServerMicrosPerDelivery: number | null;
  messageCorePct: Record<string, number>;
  presenceJoinMs: ReturnType<typeof summary>;
  presenceLeaveMs: ReturnType<typeof summary>;
  killedInstanceGoneMs: number | null;
  typingMs: ReturnType<typeof summary>;
  resumeAfterKill: { subscribers: number; messages: number; lost: number; duplicated: number };
};

/** For the load generators: they read the schedule from a field aliased `note`. */
const MESSAGE_NOTE = `subscription ($c: ID, $after: String) { messageChanged(courseId: $c, after: $after) { cursor message { note: body } } }`;
const MESSAGE = `subscription ($c: ID, $after: String) { messageChanged(conversationId: $c, after: $after) { cursor message { body } } }`;
const PRESENCE = `subscription ($c: ID!, $w: String) { presenceChanged(courseId: $c, where: $w) { action entry { user { id } } entries { user { id } } } }`;
const TYPING = `subscription ($v: ID!) { typingChanged(conversationId: $v) { typing user { id } } }`;

const userId = (token: string) => claimsOf(token).sub;

/** Refusals the server sent (an `error` frame, or a `next` without data): shown if a wait times out. */
const failures: string[] = [];

const until = async (done: () => boolean, timeoutMs: number, what: string) => {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline)
      throw new Error(
        `chat bench: timed out waiting for ${what}${failures.length ? `; the server said: ${failures.slice(0, 3).join(' | ')}` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 5));
  }
};

export async function measureChat(ctx: Context): Promise<ChatResult> {
  const { options, infra, specs, log } = ctx;
  const sql = postgres(infra.databaseUrl, { max: 2, onnotice: () => {} });
  const courseId = infra.population.courses[0];
  const staff = specs.filter((s) => s.courseIndex === 0);
  const [channel] = await sql<{ id: string }[]>`
    with made as (
      insert into conversations (course_id, kind) values (${courseId}, 'CHANNEL') on conflict do nothing returning id
    )
    select id from made union all select id from conversations where course_id = ${courseId} and kind = 'CHANNEL'`;
  // The author is one of the course's staff (a staff-only subscriber also hears their own messages).
  const author = { id: userId(staff[0].token) };
  const env = {
    ...ctx.env,
    REDIS_URL: infra.redisUrl,
    // The defaults (heartbeat 2 s, an instance silent 6 s is dropped): what a deployment gets.
  };
  const [ab, c] = await Promise.all([
    startSystem('homeroom', { instances: 2, core: options.serverCore, env, sql, log }),
    startSystem('homeroom', { instances: 1, core: options.serverCore, env, sql, log }),
  ]);
  ctx.track(ab.stop);
  ctx.track(c.stop);
  const [urlA, urlB] = ab.urls;
  const sockets: GraphqlWs[] = [];
  const open = async (url: string, token: string) => {
    const s = await openGraphqlWs(url, token, failures);
    sockets.push(s);
    return s;
  };
  let seq = 0;
  const runTag = Date.now();
  /** Commits one channel message stamped with its sequence number. */
  const post = async () => {
    const n = ++seq;
    await sql`insert into messages (conversation_id, course_id, author_id, client_message_id, body)
              values (${channel.id}, ${courseId}, ${author.id}, ${`bench-${runTag}-post-${n}`}, ${`bench:${n}`})`;
  };
  try {
    // 1. Channel messages to N subscribers, half on A and half on B, in load-generator processes
    // (frame bytes, no JSON.parse: a harness client parsing 1,000 frames per message would measure
    // itself). Each message is a real commit scheduled open loop, its body "<seq>:<scheduled µs>".
    const n = Math.min(options.quick ? 100 : 1000, staff.length);
    const perCourse = new Array<number>(options.courses).fill(0);
    perCourse[0] = n;
    const chatWriter = createWriter(infra.databaseUrl, infra.population, (db, k, stamp) => ({
      course: 0,
      commit: db`insert into messages (conversation_id, course_id, author_id, client_message_id, body)
                 values (${channel.id}, ${courseId}, ${author.id}, ${`bench-${runTag}-${k}`}, ${stamp})`,
    }));
    const gens = await ctx.startGenerators();
    let messages: PhaseResult;
    try {
      await gens.connect({
        url: ab.urls,
        courses: options.courses,
        query: MESSAGE_NOTE,
        resumeWithCursor: true,
        subscribers: staff.slice(0, n),
      });
      const phaseOf = { gens, writer: chatWriter, subscribersPerCourse: perCourse, serverPids: ab.pids };
      if (!(await warmUp({ ...phaseOf, postmasterPid: infra.postmasterPid, log })))
        throw new Error('chat bench: the warm-up messages never reached every subscriber');
      messages = await runPhase({
        ...phaseOf,
        label: 'channel messages',
        rate: 10,
        seconds: options.quick ? 2 : 10,
        postmasterPid: infra.postmasterPid,
        log,
      });
    } finally {
      await ctx.release(gens.stop);
      await chatWriter.stop();
    }

    // 2. Presence: a watcher on A; people arrive on B one at a time, then leave.
    const watcher = await open(urlA, staff[0].token);
    const present = new Set<string>();
    const joinedAt = new Map<string, number>();
    const leftAt = new Map<string, number>();
    watcher.subscribe(PRESENCE, { c: courseId, w: 'bench' }, (data) => {
      const e = data.presenceChanged;
      if (!e) return;
      if (e.action === 'SNAPSHOT') for (const x of e.entries) present.add(x.user.id);
      const id = e.entry?.user?.id as string | undefined;
      if (!id) return;
      if (e.action === 'JOINED') {
        present.add(id);
        joinedAt.set(id, monoMicros());
      } else if (e.action === 'LEFT') {
        present.delete(id);
        leftAt.set(id, monoMicros());
      }
    });
    const people = staff.slice(1, 1 + Math.min(options.quick ? 10 : 50, staff.length - 1));
    const join = newHistogram();
    const leave = newHistogram();
    for (const person of people) {
      const id = userId(person.token);
      const s = await open(urlB, person.token);
      const t0 = monoMicros();
      s.subscribe(PRESENCE, { c: courseId, w: 'bench' });
      await until(() => joinedAt.has(id), 15_000, 'a join seen on the other instance');
      record(join, joinedAt.get(id)! - t0);
      const t1 = monoMicros();
      s.close();
      await until(() => leftAt.has(id), 15_000, 'a leave seen on the other instance');
      record(leave, leftAt.get(id)! - t1);
    }
    log(
      `  presence across instances: join ${JSON.stringify(summary(join))} ms, leave ${JSON.stringify(summary(leave))} ms (leave includes PRESENCE_LEAVE_GRACE_MS)`,
    );

    // 3. A killed instance: its people leave everyone's view.
    const doomed = staff.slice(people.length + 1, people.length + 1 + (options.quick ? 5 : 20));
    const doomedIds = doomed.map((p) => userId(p.token));
    for (const person of doomed) (await open(c.urls[0], person.token)).subscribe(PRESENCE, { c: courseId, w: 'bench' });
    await until(() => doomedIds.every((id) => present.has(id)), 15_000, "the doomed instance's people present");
    const killedAt = monoMicros();
    process.kill(c.pids[0], 'SIGKILL');
    let killedInstanceGoneMs: number | null = null;
    await until(() => doomedIds.every((id) => !present.has(id)), 30_000, "the killed instance's people gone")
      .then(() => {
        killedInstanceGoneMs = Math.round((Math.max(...doomedIds.map((id) => leftAt.get(id)!)) - killedAt) / 1000);
      })
      .catch(() => {});
    log(
      `  killed instance: its ${doomed.length} people left the other instance's view after ${killedInstanceGoneMs ?? 'more than 30 000'} ms`,
    );

    // 4. Typing: a typer's mutation on B, watched on A.
    const typingSeen = new Map<string, number>();
    watcher.subscribe(TYPING, { v: channel.id }, (data) => {
      const e = data.typingChanged;
      if (e?.typing) typingSeen.set(e.user.id, monoMicros());
    });
    await new Promise((r) => setTimeout(r, 300)); // the watch is registered
    const typing = newHistogram();
    const httpB = urlB.replace(/^ws/, 'http');
    for (const person of people) {
      const id = userId(person.token);
      typingSeen.delete(id);
      const t0 = monoMicros();
      const res = await fetch(httpB, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${person.token}` },
        body: JSON.stringify({
          query: 'mutation ($v: ID!) { setTyping(conversationId: $v) }',
          variables: { v: channel.id },
        }),
      });
      await res.text();
      await until(() => typingSeen.has(id), 10_000, 'typing seen on the other instance');
      record(typing, typingSeen.get(id)! - t0);
    }
    log(`  typing across instances: ${JSON.stringify(summary(typing))} ms`);

    // 5. Messages through an instance kill: subscribers on B resume on A from their cursors.
    const resumers = staff.slice(0, options.quick ? 20 : 100);
    const seenAfterKill: Map<number, number>[] = [];
    const cursors: (string | null)[] = [];
    const handlers: ((data: Record<string, any>) => void)[] = [];
    await Promise.all(
      resumers.map(async (spec, i) => {
        const seen = new Map<number, number>();
        seenAfterKill.push(seen);
        const onData = (data: Record<string, any>) => {
          const e = data.messageChanged;
          if (!e) return;
          cursors[i] = e.cursor;
          const body = e.message?.body as string | undefined;
          if (body?.startsWith('bench:')) seen.set(Number(body.slice(6)), (seen.get(Number(body.slice(6))) ?? 0) + 1);
        };
        handlers[i] = onData;
        (await open(urlB, spec.token)).subscribe(MESSAGE, { c: channel.id }, onData);
      }),
    );
    for (;;) {
      await post();
      const mark = seq;
      await until(() => seenAfterKill.every((m) => m.has(mark)), 1_000, 'warm-up').catch(() => {});
      if (seenAfterKill.every((m) => m.has(mark))) break;
    }
    const killFirst = seq + 1;
    const flow = (async () => {
      for (let i = 0; i < (options.quick ? 20 : 50); i++) {
        await post();
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    await new Promise((r) => setTimeout(r, 300));
    process.kill(ab.pids[1], 'SIGKILL'); // B
    await Promise.all(
      resumers.map(async (spec, i) => {
        (await open(urlA, spec.token)).subscribe(MESSAGE, { c: channel.id, after: cursors[i] }, handlers[i]);
      }),
    );
    await flow;
    const end = seq;
    await until(() => seenAfterKill.every((m) => m.has(end)), 20_000, 'every message after the kill').catch(() => {});
    await new Promise((r) => setTimeout(r, 500));
    let resumeLost = 0;
    let resumeDup = 0;
    for (const m of seenAfterKill)
      for (let k = killFirst; k <= end; k++) {
        const c2 = m.get(k) ?? 0;
        if (c2 === 0) resumeLost++;
        if (c2 > 1) resumeDup += c2 - 1;
      }
    log(
      `  messages through a kill: ${resumers.length} subscribers resumed on the other instance, ${end - killFirst + 1} messages: lost ${resumeLost} dup ${resumeDup}`,
    );

    return {
      subscribers: n,
      messages: messages.events,
      messageLatencyMs: messages.latencyMs,
      messagesLost: messages.lost,
      messagesDuplicated: messages.duplicated,
      messageServerMicrosPerDelivery: messages.serverCpuMicrosPerDelivery,
      messageCorePct: messages.corePct,
      presenceJoinMs: summary(join),
      presenceLeaveMs: summary(leave),
      killedInstanceGoneMs,
      typingMs: summary(typing),
      resumeAfterKill: {
        subscribers: resumers.length,
        messages: end - killFirst + 1,
        lost: resumeLost,
        duplicated: resumeDup,
      },
    };
  } finally {
    for (const s of sockets) s.terminate();
    await ctx.release(ab.stop, c.stop).catch(() => {});
    await sql.end({ timeout: 5 });
  }
}
