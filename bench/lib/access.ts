import postgres from 'postgres';
import { createTokenService } from '../../server/auth/tokens';
import { monoMicros, newHistogram, record, summary } from './hist';
import type { Context } from './scenarios';
import { startSystem } from './systems';
import { claimsOf, openGraphqlWs } from './ws-client';

/**
 * A change of access bites at once on every instance (issue 13): an admin's mutation answered on
 * instance A, the user's live socket on instance B closed 4403 — the time between the two, for a
 * deactivation, a role change and a session revocation. Homeroom only; two instances sharing Redis.
 */
export type AccessResult = Record<'deactivate' | 'role' | 'revoke', ReturnType<typeof summary> & { unclosed: number }>;

const SUBSCRIBE = `subscription ($c: ID) { gradeChanged(courseId: $c) { cursor } }`;
const MUTATIONS = {
  deactivate: 'mutation ($id: ID!) { deactivateUser(id: $id) { id } }',
  role: 'mutation ($id: ID!) { updateUser(id: $id, role: STUDENT) { id } }',
  revoke: 'mutation ($id: ID!) { revokeSession(id: $id) { id } }',
} as const;

export async function measureAccessChanges(ctx: Context, jwtSecret: string): Promise<AccessResult> {
  const { options, infra, specs, log } = ctx;
  const sql = postgres(infra.databaseUrl, { max: 2, onnotice: () => {} });
  const [admin] = await sql<{ id: string }[]>`select id from users where role = 'ADMIN' limit 1`;
  const [session] = await sql<
    { id: string }[]
  >`insert into sessions (user_id, user_agent) values (${admin.id}, 'bench') returning id`;
  const tokens = createTokenService({
    secret: jwtSecret,
    ttlSeconds: 3600,
    renewGraceSeconds: 0,
    maxSessionSeconds: 86_400,
  });
  const adminToken = (await tokens.sign({ id: admin.id, role: 'ADMIN' }, { id: session.id })).token;
  const system = await startSystem('homeroom', {
    instances: 2,
    core: options.serverCore,
    env: { ...ctx.env, REDIS_URL: infra.redisUrl },
    sql,
    log,
  });
  ctx.track(system.stop);
  const [, urlB] = system.urls;
  const httpA = system.urls[0].replace(/^ws/, 'http');
  const per = options.quick ? 3 : 20;
  // The last staff of the population: nobody else's scenario holds their sockets any more.
  const people = specs.slice(-3 * per);
  const result = {} as AccessResult;
  try {
    for (const [i, kind] of (['deactivate', 'role', 'revoke'] as const).entries()) {
      const h = newHistogram();
      let unclosed = 0;
      for (const spec of people.slice(i * per, (i + 1) * per)) {
        const { sub: userId, sid } = claimsOf(spec.token);
        const socket = await openGraphqlWs(urlB, spec.token);
        socket.subscribe(SUBSCRIBE, { c: spec.courseId });
        await new Promise((r) => setTimeout(r, 100)); // the subscription is registered
        const res = await fetch(httpA, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${adminToken}` },
          body: JSON.stringify({ query: MUTATIONS[kind], variables: { id: kind === 'revoke' ? sid : userId } }),
        });
        const body = (await res.json()) as { errors?: { message: string }[] };
        const answered = monoMicros();
        if (body.errors) throw new Error(`access bench: ${kind} refused: ${body.errors[0].message}`);
        const deadline = Date.now() + 10_000;
        while (!socket.closed() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 2));
        const closed = socket.closed();
        if (closed?.code === 4403) record(h, Math.max(0, closed.at - answered));
        else unclosed++;
        socket.terminate();
      }
      result[kind] = { ...summary(h), unclosed };
      log(`  access change on A → socket on B closed 4403, ${kind}: ${JSON.stringify(result[kind])} ms`);
    }
    return result;
  } finally {
    await ctx.release(system.stop);
    await sql.end({ timeout: 5 });
  }
}
