/** Sizes and durations of a run: the full benchmark, or `--quick` (a smoke check under 2 minutes). */
export function parseOptions(argv: string[]) {
  const quick = argv.includes('--quick');
  const only = argv
    .find((a) => a.startsWith('--systems='))
    ?.slice('--systems='.length)
    .split(',');
  const scenarios = argv
    .find((a) => a.startsWith('--scenarios='))
    ?.slice('--scenarios='.length)
    .split(',');
  const noProfile = argv.includes('--no-profile');
  // --storm-subscribers=N: a mid-size storm (g) without the full run's 20,000.
  const stormArg = argv.find((a) => a.startsWith('--storm-subscribers='));
  const stormSubscribers = stormArg ? Number(stormArg.slice('--storm-subscribers='.length)) : null;
  if (stormSubscribers !== null && !(Number.isInteger(stormSubscribers) && stormSubscribers > 0))
    throw new Error(`--storm-subscribers needs a positive whole number, got "${stormArg}"`);
  // --many-subscribers=N: scenario (j) at another size than 100,000 (2,000 with --quick).
  const manyArg = argv.find((a) => a.startsWith('--many-subscribers='));
  const manySubscribers = manyArg ? Number(manyArg.slice('--many-subscribers='.length)) : null;
  if (manySubscribers !== null && !(Number.isInteger(manySubscribers) && manySubscribers > 0))
    throw new Error(`--many-subscribers needs a positive whole number, got "${manyArg}"`);
  // --many-sockets=M: (j) over at most M sockets (more subscriptions on each), below the open-file limit.
  const socketsArg = argv.find((a) => a.startsWith('--many-sockets='));
  const manySockets = socketsArg ? Number(socketsArg.slice('--many-sockets='.length)) : null;
  if (manySockets !== null && !(Number.isInteger(manySockets) && manySockets > 0))
    throw new Error(`--many-sockets needs a positive whole number, got "${socketsArg}"`);
  const base = quick
    ? {
        quick: true,
        courses: 10,
        studentsPerCourse: 10,
        assessmentsPerCourse: 10,
        subscribers: 100,
        idleSubscribers: 200,
        steadyRate: 50,
        steadySeconds: 2,
        saturationRates: [200],
        lectureSubscribers: 300,
        lectureRates: [20],
        stepSeconds: 1.5,
        overloadSeconds: 2,
        recoverySeconds: 1,
        twoInstanceSeconds: 2,
        profileSeconds: 2,
        quietMs: 1000,
        generators: 2,
        pollers: 200,
        pollIntervalMs: 2000,
        pollSeconds: 4,
        pollEventRate: 10,
        pollBaselineSeconds: 3,
        stormSubscribers: 200,
        stormOwnSubscribers: 50,
        stormRate: 20,
        stormBeforeSeconds: 2,
        stormAfterSeconds: 4,
        manySubscribers: 2_000,
        // 2,000 subscriptions over 500 sockets (4 on each): the multiplexed path, small.
        manySockets: 500 as number | null,
        manyEventRate: 10,
        manyEventSeconds: 1,
      }
    : {
        quick: false,
        courses: 10,
        studentsPerCourse: 50,
        assessmentsPerCourse: 40,
        subscribers: 1000,
        idleSubscribers: 10_000,
        steadyRate: 100,
        steadySeconds: 20,
        saturationRates: [5, 10, 25, 50, 75, 100, 150, 200, 300, 450, 650, 900, 1300, 1800],
        // (c) also as a lecture: 2,000 subscribers of one course, each event reaching all of them
        // (a school-wide announcement): the load side's per-event cost is spread over 20× more
        // deliveries than in the 1,000 × 1/10 search above. Not 5,000: one event's fan-out is
        // written and read one socket at a time (~10 µs each on each side), so at 5,000 the last
        // reader gets it ~120 ms after the first even on idle cores, over the 100 ms p99 limit.
        lectureSubscribers: 2000,
        lectureRates: [2, 5, 10, 15, 20, 27, 36, 42, 48, 56, 64, 75, 85, 110],
        stepSeconds: 8,
        overloadSeconds: 30,
        recoverySeconds: 8,
        twoInstanceSeconds: 20,
        profileSeconds: 20,
        quietMs: 3000,
        generators: 2,
        // (f) 10,000 clients without a socket polling every 10 s, as the web client does: 1,000 polls/s.
        pollers: 10_000,
        pollIntervalMs: 10_000,
        pollSeconds: 30,
        pollEventRate: 10,
        pollBaselineSeconds: 10,
        // (g) 20,000 subscribers on the instance that dies, 1,000 on the one that survives.
        stormSubscribers: 20_000,
        stormOwnSubscribers: 1_000,
        stormRate: 10,
        stormBeforeSeconds: 10,
        stormAfterSeconds: 30,
        // (j) 100,000 subscriptions on one server process, over as many sockets as it may hold
        // (several on each past its open-file limit); each gets 5 events of its course.
        manySubscribers: 100_000,
        manySockets: null as number | null,
        manyEventRate: 10,
        manyEventSeconds: 5,
      };
  return {
    ...base,
    stormSubscribers: stormSubscribers ?? base.stormSubscribers,
    manySubscribers: manySubscribers ?? base.manySubscribers,
    manySockets: manySockets ?? base.manySockets,
    systems: only as ('homeroom' | 'postgraphile' | 'raw-ws')[] | undefined,
    scenarios: scenarios ?? ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'],
    profile: !noProfile,
    /** p99 above this ends the saturation search. */
    p99LimitMs: 100,
    serverCore: '0',
    loadCore: '1',
  };
}

export type Options = ReturnType<typeof parseOptions>;
