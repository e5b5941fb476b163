import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { hashPassword, verifyPassword } from '../../db/passwords';
import { sessions, users } from '../../db/schema';
import { audit } from '../audit';
import { changeAccess } from '../auth/session-cache';
import { endSessions } from '../auth/sessions';
import { builder } from '../builder';
import { badInput, forbidden, notFound, unauthenticated } from '../errors';
import { parseId, password } from '../validate';
import { User } from './users';

type SessionRow = typeof sessions.$inferSelect;

export const Session = builder.objectRef<SessionRow>('Session').implement({
  description: 'A sign-in: every token names one. Ending it refuses its tokens and closes its sockets at once.',
  fields: (t) => ({
    id: t.exposeID('id'),
    userAgent: t.exposeString('userAgent', { description: 'The browser or client that signed in.' }),
    address: t.exposeString('address', { description: 'The client address it signed in from.' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    lastSeenAt: t.expose('lastSeenAt', {
      type: 'DateTime',
      description: 'The last sign-in or token renewal (clients renew every few minutes while open).',
    }),
    current: t.boolean({
      description: 'The session of the token making this request.',
      resolve: (s, _args, ctx) => s.id === ctx.sessionId,
    }),
    active: t.boolean({ resolve: (s) => s.endedAt === null }),
  }),
});

const activeSessionsOf = (db: Database, userId: string): Promise<SessionRow[]> =>
  db
    .select()
    .from(sessions)
    .where(and(eq(sessions.userId, userId), isNull(sessions.endedAt)))
    .orderBy(desc(sessions.lastSeenAt));

builder.objectField(User, 'sessions', (t) =>
  t.field({
    type: [Session],
    description: "The user's active sessions (the user themselves, or an admin).",
    authScopes: (user) => ({ admin: true, self: user.id }),
    resolve: (user, _args, ctx) => activeSessionsOf(ctx.db, user.id),
  }),
);

builder.queryFields((t) => ({
  mySessions: t.field({
    type: [Session],
    description: 'Your active sessions, most recently seen first; `current` marks this one.',
    authScopes: { signedIn: true },
    resolve: (_root, _args, ctx) => activeSessionsOf(ctx.db, ctx.viewer!.id),
  }),
}));

builder.mutationFields((t) => ({
  signOut: t.boolean({
    description: 'Ends the current session: this token (and its renewals) are refused from now on.',
    authScopes: { signedIn: true },
    resolve: async (_root, _args, ctx) => {
      const ended = await changeAccess(ctx, { userId: ctx.viewer!.id, sessionId: ctx.sessionId! }, (tx) =>
        endSessions(tx, { userId: ctx.viewer!.id, sessionId: ctx.sessionId! }, 'signed-out'),
      );
      return ended.length > 0;
    },
  }),
  revokeSession: t.field({
    type: Session,
    description:
      "Ends one of your sessions (an admin: anyone's). Its tokens are refused and its sockets closed (4403) at once, on every instance.",
    authScopes: { signedIn: true },
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = parseId(args.id, 'id');
      const [session] = await ctx.db.select().from(sessions).where(eq(sessions.id, id));
      // Someone else's session is as unknown to a non-admin as one that does not exist.
      if (!session || (session.userId !== ctx.viewer!.id && ctx.viewer!.role !== 'ADMIN')) throw notFound('Session');
      return changeAccess(ctx, { userId: session.userId, sessionId: id }, async (tx) => {
        const ended = await endSessions(tx, { userId: session.userId, sessionId: id }, 'revoked');
        if (ended.length)
          await audit(tx, {
            actorId: ctx.viewer!.id,
            action: 'SESSION_REVOKED',
            targetUserId: session.userId,
            details: { sessionId: id, userAgent: session.userAgent, address: session.address },
          });
        const [row] = await tx.select().from(sessions).where(eq(sessions.id, id));
        return row;
      });
    },
  }),
  signOutEverywhere: t.int({
    description: 'Ends every session of yours, this one included; returns how many ended.',
    authScopes: { signedIn: true },
    resolve: async (_root, _args, ctx) =>
      changeAccess(ctx, { userId: ctx.viewer!.id, sessionId: null }, async (tx) => {
        const ended = await endSessions(tx, { userId: ctx.viewer!.id }, 'signed-out-everywhere');
        await audit(tx, {
          actorId: ctx.viewer!.id,
          action: 'SIGNED_OUT_EVERYWHERE',
          targetUserId: ctx.viewer!.id,
          details: { sessionsEnded: ended.length },
        });
        return ended.length;
      }),
  }),
  changePassword: t.int({
    description:
      'Changes your password (at least 8 characters) and ends your other sessions; this one stays. Returns how many ended.',
    authScopes: { signedIn: true },
    args: {
      currentPassword: t.arg.string({ required: true }),
      newPassword: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const [user] = await ctx.db.select().from(users).where(eq(users.id, ctx.viewer!.id));
      if (!user) throw unauthenticated();
      // The same limits as signing in: a stolen token must not become a password-guessing oracle.
      const attempt = await ctx.loginLimiter.attempt(user.email, ctx.clientAddress);
      if (!(await verifyPassword(args.currentPassword.slice(0, 1024), user.passwordHash)))
        throw forbidden('The current password is wrong');
      await attempt.succeeded();
      const next = password(args.newPassword, 'newPassword');
      if (next === args.currentPassword)
        throw badInput('The new password must differ from the current one', 'newPassword');
      const passwordHash = await hashPassword(next);
      return changeAccess(ctx, { userId: user.id, sessionId: null }, async (tx) => {
        await tx.update(users).set({ passwordHash }).where(eq(users.id, user.id));
        const ended = await endSessions(
          tx,
          { userId: user.id, exceptSessionId: ctx.sessionId ?? undefined },
          'password-changed',
        );
        await audit(tx, {
          actorId: user.id,
          action: 'PASSWORD_CHANGED',
          targetUserId: user.id,
          details: { sessionsEnded: ended.length },
        });
        return ended.length;
      });
    },
  }),
}));
