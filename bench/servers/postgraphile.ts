import './polyfill';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import pg from 'pg';
import { postgraphile } from 'postgraphile';
import { jsonParse } from 'postgraphile/@dataplan/json';
import type { PgResource } from 'postgraphile/@dataplan/pg';
import { makePgService } from 'postgraphile/adaptors/pg';
import { context, lambda, listen } from 'postgraphile/grafast';
import { grafserv } from 'postgraphile/grafserv/node';
import { PostGraphileAmberPreset } from 'postgraphile/presets/amber';
import { extendSchema, gql } from 'postgraphile/utils';
import { createTokenService } from '../../server/auth/tokens';
import { serveControl } from './control';

/**
 * PostGraphile v5 serving the same subscription the idiomatic v5 way: a row trigger (installed
 * by the harness for this run only) NOTIFYs `bench_grade:<courseId>` with the grade id; `listen()`
 * streams those events and each subscriber's plan re-reads the row (`grades.get`). Same token
 * check, subscribe-time course membership check and result shape as the other systems.
 */
const env = process.env;
const tokens = createTokenService({
  secret: env.JWT_SECRET!,
  ttlSeconds: 900,
  renewGraceSeconds: 0,
  maxSessionSeconds: 86_400,
});
const pool = new pg.Pool({ connectionString: env.DATABASE_URL, max: 10 });

const GradeChangedPlugin = extendSchema((build) => {
  const grades = (build.input.pgRegistry.pgResources as Record<string, PgResource<any, any, any, any, any>>).grades;
  return {
    typeDefs: gql`
      type BenchGradeEvent {
        cursor: String!
        action: String!
        occurredAt: String!
        grade: Grade
      }
      extend type Subscription {
        gradeChanged(c: UUID!): BenchGradeEvent
      }
    `,
    objects: {
      Subscription: {
        plans: {
          gradeChanged: {
            subscribePlan(_$root, fieldArgs) {
              const $courseId = fieldArgs.getRaw('c');
              const $taught = (context() as any).get('taught');
              const $topic = lambda([$courseId, $taught], ([courseId, taught]) => {
                if (!(taught as unknown as Set<string>).has(courseId as string)) throw new Error('Forbidden');
                return `bench_grade:${courseId}`;
              });
              return listen(context().get('pgSubscriber') as any, $topic, jsonParse);
            },
            plan: ($event) => $event,
          },
        },
      },
      BenchGradeEvent: {
        plans: {
          grade: ($event: any) => grades.get({ id: $event.get('id') }),
        },
      },
    },
  };
});

const preset: GraphileConfig.Preset = {
  extends: [PostGraphileAmberPreset],
  plugins: [GradeChangedPlugin],
  pgServices: [makePgService({ pool, schemas: ['public'] })],
  grafserv: { port: Number(env.PORT ?? 0), host: '127.0.0.1', websockets: true },
  grafast: {
    explain: false,
    async context(requestContext: Partial<Grafast.RequestContext>) {
      const ws = (requestContext as { ws?: { normalizedConnectionParams?: Record<string, unknown> } }).ws;
      const raw = ws?.normalizedConnectionParams?.authorization;
      const check = typeof raw === 'string' ? await tokens.verify(raw.replace(/^Bearer\s+/i, '')) : null;
      if (!check?.ok) throw new Error('Forbidden');
      const { rows } = await pool.query<{ course_id: string }>(
        'select course_id from teaching_assignments where instructor_id = $1',
        [check.claims.userId],
      );
      return { taught: new Set(rows.map((r) => r.course_id)) } as Partial<Grafast.Context>;
    },
  },
};

const pgl = postgraphile(preset);
const serv = pgl.createServ(grafserv);
const server = createServer();
server.once('listening', () => {
  serveControl((server.address() as AddressInfo).port, async () => {
    server.closeAllConnections();
    server.close();
    await pgl.release();
  });
});
serv.addTo(server).then(
  () => server.listen(Number(env.PORT ?? 0), '127.0.0.1'),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
