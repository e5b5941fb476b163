import { randomBytes } from 'node:crypto';
import { createTokenService } from '../server/auth/tokens';
import { type AccessResult, measureAccessChanges } from './lib/access';
import { type ChatResult, measureChat } from './lib/chat';
import { pin, startInfra } from './lib/infra';
import { startGenerators } from './lib/load';
import { multiplexedSpecs, planMany } from './lib/many';
import { parseOptions } from './lib/options';
import { measureOutboxReads } from './lib/outbox-reads';
import { cpuDelta, cpuSnapshot } from './lib/procfs';
import { summariseProfile } from './lib/profile';
import { writeResults } from './lib/report';
import { type Context, runScenarios } from './lib/scenarios';
import { SYSTEMS } from './lib/systems';
import { createWriter, lectureGradeUpdate } from './lib/writer';

// `npm run bench [-- --quick] [--systems=homeroom,raw-ws] [--scenarios=a,c] [--no-profile]`
// Everything runs on this machine over loopback, bounded in time and count, and stops itself.
const options = parseOptions(process.argv.slice(2));
const started = Date.now();
const log = (line: string) => console.log(`[bench ${((Date.now() - started) / 1000).toFixed(1).padStart(6)}s] ${line}`);

// The harness itself (writer, bookkeeping) shares the load core with the generators and databases.
pin(process.pid, options.loadCore);
const cleanups: (() => Promise<void>)[] = [];
let exiting = false;
async function cleanup() {
  while (cleanups.length) await cleanups.pop()!().catch((e) => log(`cleanup failed: ${e}`));
}
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (exiting) return;
    exiting = true;
    log(`${signal}: stopping everything`);
    void cleanup().finally(() => process.exit(130));
  });
}

try {
  const cpuAtStart = cpuSnapshot();
  // (j): as many of the subscriptions asked for as one server process can hold here.
  const many = options.scenarios.includes('j')
    ? planMany(options.manySubscribers, { courses: options.courses, socketCap: options.manySockets })
    : null;
  if (many?.socketsLimitedBy)
    log(
      `(j) ${many.subscriptions} subscriptions over ${many.sockets} sockets (up to ${many.perSocket} each): ${many.socketsLimitedBy}`,
    );
  if (many?.limitedBy) log(`(j) ${many.subscriptions} subscriptions instead of ${many.requested}: ${many.limitedBy}`);
  const infra = await startInfra({
    staff: Math.max(
      options.subscribers,
      options.lectureSubscribers,
      options.idleSubscribers,
      options.pollers,
      options.scenarios.includes('g') ? options.stormSubscribers + options.stormOwnSubscribers : 0,
    ),
    lectureStaff: options.lectureSubscribers,
    manyStaff: many ? { count: many.sockets, coursesEach: many.perSocket } : undefined,
    courses: options.courses,
    studentsPerCourse: options.studentsPerCourse,
    assessmentsPerCourse: options.assessmentsPerCourse,
    loadCore: options.loadCore,
    log,
  });
  cleanups.push(infra.stop);
  const writer = createWriter(infra.databaseUrl, infra.population);
  cleanups.push(writer.stop);

  const jwtSecret = randomBytes(48).toString('base64url');
  const tokens = createTokenService({
    secret: jwtSecret,
    ttlSeconds: 4 * 3600,
    renewGraceSeconds: 0,
    maxSessionSeconds: 86_400,
  });
  const specs = await Promise.all(
    infra.population.staff.map(async (s) => ({
      token: (await tokens.sign({ id: s.id, role: 'INSTRUCTOR' }, { id: s.sessionId })).token,
      courseId: infra.population.courses[s.courseIndex],
      courseIndex: s.courseIndex,
    })),
  );
  const manySpecs = many
    ? multiplexedSpecs(
        many,
        await Promise.all(
          infra.population.manyStaff.map(async (s) => ({
            token: (await tokens.sign({ id: s.id, role: 'INSTRUCTOR' }, { id: s.sessionId })).token,
            courseIndex: s.courseIndex,
          })),
        ),
        infra.population.courses,
      )
    : [];
  log(`minted ${specs.length + manySpecs.length} tokens`);
  // The lecture's subscribers: the first staff, again, each subscribed to the lecture instead of their own course.
  const lectureSpecs = specs.slice(0, options.lectureSubscribers).map((s) => ({
    ...s,
    courseId: infra.population.lecture.courseId,
    courseIndex: options.courses,
  }));
  const lectureWriter = createWriter(infra.databaseUrl, infra.population, lectureGradeUpdate(infra.population));
  cleanups.push(lectureWriter.stop);

  const ctx: Context = {
    options,
    infra,
    writer,
    specs,
    lecture: { writer: lectureWriter, specs: lectureSpecs },
    manySpecs,
    env: { DATABASE_URL: infra.databaseUrl, JWT_SECRET: jwtSecret, DATABASE_POOL_SIZE: '10' },
    startGenerators: async (count = options.generators, spill) => {
      const gens = await startGenerators(count, options.loadCore, spill);
      cleanups.push(gens.stop);
      return gens;
    },
    track: (stop) => cleanups.push(stop),
    async release(...stops) {
      for (const stop of stops) {
        await stop();
        const i = cleanups.indexOf(stop);
        if (i >= 0) cleanups.splice(i, 1);
      }
    },
    log,
  };
  const systems = options.systems ?? SYSTEMS;
  const results = await runScenarios(ctx, systems, many);

  // The relay's read cost, the rule before issue 15 against commit order, on this run's outbox.
  const outboxReads = await measureOutboxReads(infra.databaseUrl);
  for (const r of outboxReads)
    log(
      `outbox read, ${r.rule}: ${r.events} events in ${r.pages} pages, ${r.wallMicrosPerEvent} µs/event wall, ${r.postgresCpuMicrosPerEvent} µs/event Postgres CPU; ${r.readableBesideOpenTransaction}/10 readable beside an open transaction`,
    );

  // Scenario (h): chat, presence and typing (issue 12), Homeroom only.
  let chat: ChatResult | null = null;
  if (systems.includes('homeroom') && options.scenarios.includes('h')) {
    log('== chat, presence, typing (h)');
    chat = await measureChat(ctx);
  }

  // Scenario (i): a change of access closes the user's sockets on the other instance (issue 13).
  let access: AccessResult | null = null;
  if (systems.includes('homeroom') && options.scenarios.includes('i')) {
    log('== access changes across instances (i)');
    access = await measureAccessChanges(ctx, jwtSecret);
  }

  let profile = results.homeroom?.profile ?? null;
  if (!options.quick && options.profile && systems.includes('homeroom')) profile = await summariseProfile(ctx);

  const run = {
    date: new Date().toISOString(),
    quick: options.quick,
    machine: { cores: 2, node: process.version, serverCore: options.serverCore, loadCore: options.loadCore },
    options,
    durationSeconds: Math.round((Date.now() - started) / 1000),
    cpuWholeRun: cpuDelta(cpuAtStart, cpuSnapshot()),
    results,
    outboxReads,
    chat,
    access,
    profile,
  };
  const files = writeResults(run);
  log(`results: ${files.join(', ')}`);
  await cleanup();
  log(`done in ${Math.round((Date.now() - started) / 1000)} s`);
  process.exit(0);
} catch (error) {
  console.error(error);
  await cleanup();
  process.exit(1);
}
