import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { enrolments, teachingAssignments } from '../../db/schema';
import { createBatcher } from '../batcher';
import type { Role } from './tokens';

export type Viewer = { id: string; role: Role };
export type CourseRole = 'ADMIN' | 'INSTRUCTOR' | 'STUDENT';

/**
 * What the viewer may do per course, loaded once per request (or per event check) and cached:
 * every authorization decision goes through here.
 *
 * A class, not a closure per method: a live subscription keeps its Access for its whole life,
 * and per-instance closures cost ~300 B each under tsx (see bench/idle-heap.ts).
 */
export class Access {
  /** The load in flight or done; undefined until first needed and after `reset()`. */
  private memberships: Promise<Map<string, CourseRole>> | undefined = undefined;
  /** The same map once loaded, so hot paths (live events) can answer without awaiting. */
  private loaded: Map<string, CourseRole> | undefined = undefined;

  /** Set by `fixed()`: the roles are given, never loaded or forgotten. */
  private frozen = false;

  constructor(
    private readonly db: Database,
    readonly viewer: Viewer | null,
  ) {}

  /**
   * Permissions given rather than loaded: `viewer` holds `role` in `courseId` and nothing else
   * (shared live executions run as nobody in particular with the share scope's role).
   */
  static fixed(viewer: Viewer, courseId: string | null, role: CourseRole): Access {
    const access = new Access(null as unknown as Database, viewer);
    access.loaded = new Map(courseId ? [[courseId, role]] : []);
    access.memberships = Promise.resolve(access.loaded);
    access.frozen = true;
    return access;
  }

  private load(): Promise<Map<string, CourseRole>> {
    if (!this.viewer) return Promise.resolve(new Map());
    if (!this.memberships) {
      const pending: Promise<Map<string, CourseRole>> = this.fetch(this.viewer.id).then((map) => {
        // A reset() while this load was in flight wins: the next question loads again.
        if (this.memberships === pending) this.loaded = map;
        return map;
      });
      this.memberships = pending;
    }
    return this.memberships;
  }

  private async fetch(viewerId: string): Promise<Map<string, CourseRole>> {
    return (await membershipsLoader(this.db)(viewerId)) ?? new Map();
  }

  async roleIn(courseId: string): Promise<CourseRole | null> {
    if (!this.viewer) return null;
    if (this.viewer.role === 'ADMIN') return 'ADMIN';
    return (this.loaded ?? (await this.load())).get(courseId) ?? null;
  }

  /** The role if already known without I/O; `undefined` when it must be loaded (use roleIn). */
  knownRoleIn(courseId: string): CourseRole | null | undefined {
    if (!this.viewer) return null;
    if (this.viewer.role === 'ADMIN') return 'ADMIN';
    return this.loaded ? (this.loaded.get(courseId) ?? null) : undefined;
  }

  /** Course ids the viewer belongs to; `null` means every course (ADMIN). */
  async courseIds(): Promise<string[] | null> {
    if (this.viewer?.role === 'ADMIN') return null;
    return [...(await this.load()).keys()];
  }

  async isMember(courseId: string): Promise<boolean> {
    return (await this.roleIn(courseId)) !== null;
  }

  async isStaff(courseId: string): Promise<boolean> {
    const role = await this.roleIn(courseId);
    return role === 'ADMIN' || role === 'INSTRUCTOR';
  }

  /** Forget cached memberships, e.g. after an enrolment change in the same request. */
  reset(): void {
    if (this.frozen) return;
    this.memberships = undefined;
    this.loaded = undefined;
  }
}

/**
 * Courses the viewers teach or are enrolled in: one prepared statement per pool, since every
 * subscription and request loads them (building the SQL each time was most of a connect's
 * garbage), for several viewers at once when loads overlap (batcher.ts: a connection storm
 * subscribes once per socket).
 */
const membershipLoaders = new WeakMap<Database, (viewerId: string) => Promise<Map<string, CourseRole> | undefined>>();
const LOADS_IN_FLIGHT = 4;
const VIEWERS_PER_QUERY = 500;

const prepareMemberships = (db: Database) =>
  db
    .select({
      viewerId: teachingAssignments.instructorId,
      courseId: teachingAssignments.courseId,
      role: sql<CourseRole>`'INSTRUCTOR'`.as('role'),
    })
    .from(teachingAssignments)
    .where(sql`${teachingAssignments.instructorId} = any(${sql.placeholder('viewerIds')}::uuid[])`)
    .unionAll(
      db
        .select({
          viewerId: enrolments.studentId,
          courseId: enrolments.courseId,
          role: sql<CourseRole>`'STUDENT'`.as('role'),
        })
        .from(enrolments)
        .where(sql`${enrolments.studentId} = any(${sql.placeholder('viewerIds')}::uuid[])`),
    )
    .prepare('viewer_memberships');

function membershipsLoader(db: Database) {
  let loader = membershipLoaders.get(db);
  if (!loader) {
    const query = prepareMemberships(db);
    loader = createBatcher<string, Map<string, CourseRole>>(
      async (viewerIds) => {
        const rows = await query.execute({ viewerIds });
        const byViewer = new Map<string, Map<string, CourseRole>>(viewerIds.map((id) => [id, new Map()]));
        // Teaching wins over an enrolment in the same course.
        for (const row of rows) {
          const map = byViewer.get(row.viewerId)!;
          if (map.get(row.courseId) !== 'INSTRUCTOR') map.set(row.courseId, row.role);
        }
        return byViewer;
      },
      { maxInFlight: LOADS_IN_FLIGHT, maxBatch: VIEWERS_PER_QUERY },
    );
    membershipLoaders.set(db, loader);
  }
  return loader;
}

export function createAccess(db: Database, viewer: Viewer | null): Access {
  return new Access(db, viewer);
}
