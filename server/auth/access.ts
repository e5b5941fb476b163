import { eq } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { enrolments, teachingAssignments } from '../../db/schema';
import type { Role } from './tokens';

export type Viewer = { id: string; role: Role };
export type CourseRole = 'ADMIN' | 'INSTRUCTOR' | 'STUDENT';

/**
 * What the viewer may do per course, loaded once per request (or per event check) and cached:
 * every authorization decision goes through here.
 */
export function createAccess(db: Database, viewer: Viewer | null) {
  let memberships: Promise<Map<string, CourseRole>> | undefined;
  // The same map once loaded, so hot paths (live events) can answer without awaiting.
  let loaded: Map<string, CourseRole> | undefined;

  function load(): Promise<Map<string, CourseRole>> {
    if (!viewer) return Promise.resolve(new Map());
    memberships ??= (async () => {
      const [taught, enrolled] = await Promise.all([
        db.select({ courseId: teachingAssignments.courseId }).from(teachingAssignments).where(eq(teachingAssignments.instructorId, viewer.id)),
        db.select({ courseId: enrolments.courseId }).from(enrolments).where(eq(enrolments.studentId, viewer.id)),
      ]);
      const map = new Map<string, CourseRole>();
      for (const e of enrolled) map.set(e.courseId, 'STUDENT');
      for (const t of taught) map.set(t.courseId, 'INSTRUCTOR');
      loaded = map;
      return map;
    })();
    return memberships;
  }

  async function roleIn(courseId: string): Promise<CourseRole | null> {
    if (!viewer) return null;
    if (viewer.role === 'ADMIN') return 'ADMIN';
    return (await load()).get(courseId) ?? null;
  }

  return {
    viewer,
    roleIn,
    /** The role if already known without I/O; `undefined` when it must be loaded (use roleIn). */
    knownRoleIn(courseId: string): CourseRole | null | undefined {
      if (!viewer) return null;
      if (viewer.role === 'ADMIN') return 'ADMIN';
      return loaded ? (loaded.get(courseId) ?? null) : undefined;
    },
    /** Course ids the viewer belongs to; `null` means every course (ADMIN). */
    async courseIds(): Promise<string[] | null> {
      if (viewer?.role === 'ADMIN') return null;
      return [...(await load()).keys()];
    },
    async isMember(courseId: string) {
      return (await roleIn(courseId)) !== null;
    },
    async isStaff(courseId: string) {
      const role = await roleIn(courseId);
      return role === 'ADMIN' || role === 'INSTRUCTOR';
    },
    /** Forget cached memberships, e.g. after an enrolment change in the same request. */
    reset() {
      memberships = undefined;
      loaded = undefined;
    },
  };
}

export type Access = ReturnType<typeof createAccess>;

