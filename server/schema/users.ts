import { randomBytes } from 'node:crypto';
import { and, asc, eq, inArray, isNotNull, isNull } from 'drizzle-orm';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../db/passwords';
import { users } from '../../db/schema';
import { audit } from '../audit';
import { authErrorMessages } from '../auth/authenticate';
import { changeAccess } from '../auth/session-cache';
import { endSessions, sessionState, startSession, touchSession } from '../auth/sessions';
import { builder } from '../builder';
import type { Context } from '../context';
import { badInput, notFound, unauthenticated } from '../errors';
import { PER_VIEWER } from '../live/shared-execution';
import { parseId, password, text } from '../validate';

export type UserRow = typeof users.$inferSelect;

export const RoleEnum = builder.enumType('Role', { values: ['STUDENT', 'INSTRUCTOR', 'ADMIN'] as const });

export const User = builder.loadableObject('User', {
  load: async (ids: string[], ctx) => ctx.db.select().from(users).where(inArray(users.id, ids)),
  sort: (user) => user.id,
  fields: (t) => ({
    id: t.exposeID('id'),
    name: t.exposeString('name'),
    email: t.exposeString('email'),
    role: t.field({ type: RoleEnum, resolve: (u) => u.role }),
    active: t.boolean({
      description: 'False while an admin has deactivated the account (no sign-in, no token honoured).',
      resolve: (u) => u.deactivatedAt === null,
    }),
    deactivatedAt: t.field({
      type: 'DateTime',
      nullable: true,
      authScopes: { admin: true },
      resolve: (u) => u.deactivatedAt,
    }),
  }),
});

const AuthPayload = builder.objectRef<{ token: string; expiresAt: Date; user: UserRow }>('AuthPayload').implement({
  fields: (t) => ({
    token: t.exposeString('token', {
      description: 'Send as "Authorization: Bearer <token>" (HTTP) or connectionParams.authorization (graphql-ws).',
    }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime' }),
    user: t.field({ type: User, resolve: (p) => p.user }),
  }),
});

const PasswordReset = builder.objectRef<{ user: UserRow; temporaryPassword: string }>('PasswordReset').implement({
  description: 'The result of an admin password reset: every session of the user has ended.',
  fields: (t) => ({
    user: t.field({ type: User, resolve: (p) => p.user }),
    temporaryPassword: t.exposeString('temporaryPassword', {
      description:
        'Shown once, to the admin, who hands it over: the user signs in with it and changes it (changePassword). It is not stored.',
    }),
  }),
});

builder.queryFields((t) => ({
  me: t.field({
    type: User,
    nullable: true,
    description: 'The signed-in user, or null without a valid token.',
    extensions: PER_VIEWER,
    resolve: (_root, _args, ctx) => ctx.viewer?.id ?? null,
  }),
  users: t.field({
    type: [User],
    authScopes: { admin: true },
    args: {
      role: t.arg({ type: RoleEnum, required: false }),
      active: t.arg.boolean({ required: false, description: 'Only active (true) or deactivated (false) accounts.' }),
    },
    resolve: (_root, args, ctx) =>
      ctx.db
        .select()
        .from(users)
        .where(
          and(
            args.role ? eq(users.role, args.role) : undefined,
            args.active == null
              ? undefined
              : args.active
                ? isNull(users.deactivatedAt)
                : isNotNull(users.deactivatedAt),
          ),
        )
        .orderBy(asc(users.name)),
  }),
}));

const email = (raw: string) => {
  const value = text(raw, 'email', { max: 320 }).toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(value)) throw badInput('email is not an email address', 'email');
  return value;
};

/** An admin acting on another account: they may not lock themselves out. */
async function otherUser(ctx: Context, rawId: string, what: string): Promise<UserRow> {
  const id = parseId(rawId, 'id');
  if (id === ctx.viewer!.id) throw badInput(`You cannot ${what} your own account`, 'id');
  const [user] = await ctx.db.select().from(users).where(eq(users.id, id));
  if (!user) throw notFound('User');
  return user;
}

builder.mutationFields((t) => ({
  login: t.field({
    type: AuthPayload,
    description: 'Signs in: starts a session (see mySessions) and returns its first token.',
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const email = args.email.trim().toLowerCase();
      // Not an address anyone can have: refuse like any wrong login, without touching the database.
      if (email.length > 320 || email.includes('\u0000')) throw unauthenticated('Wrong email or password');
      const attempt = await ctx.loginLimiter.attempt(email, ctx.clientAddress);
      const [user] = await ctx.db.select().from(users).where(eq(users.email, email));
      const valid = await verifyPassword(args.password.slice(0, 1024), user?.passwordHash ?? DUMMY_HASH);
      if (!user || !valid) throw unauthenticated('Wrong email or password');
      await attempt.succeeded();
      // Said only to someone who knows the password.
      if (user.deactivatedAt) throw unauthenticated(authErrorMessages.deactivated);
      const sessionId = await startSession(ctx.db, user.id, { userAgent: ctx.userAgent, address: ctx.clientAddress });
      return { ...(await ctx.tokens.sign(user, { id: sessionId })), user };
    },
  }),
  renewToken: t.field({
    type: AuthPayload,
    description:
      "Trade a valid (or recently expired) token for a fresh one of the same session, with the user's current role, keeping the original sign-in time. Refused once the session has ended or the account is deactivated.",
    resolve: async (_root, _args, ctx) => {
      const check = ctx.token ? await ctx.tokens.verifyForRenewal(ctx.token) : null;
      if (!check?.ok)
        throw unauthenticated(
          check?.reason === 'expired' ? 'Session expired: sign in again' : 'Send the current token to renew it',
        );
      const { claims } = check;
      const state = await sessionState(ctx.db, claims.sessionId);
      if (!state || state.userId !== claims.userId) throw unauthenticated(authErrorMessages.ended);
      if (state.deactivated) throw unauthenticated(authErrorMessages.deactivated);
      if (state.ended) throw unauthenticated(authErrorMessages.ended);
      const [[user]] = await Promise.all([
        ctx.db.select().from(users).where(eq(users.id, claims.userId)),
        touchSession(ctx.db, claims.sessionId),
      ]);
      return { ...(await ctx.tokens.sign(user, { id: claims.sessionId, authTime: claims.authTime })), user };
    },
  }),
  createUser: t.field({
    type: User,
    authScopes: { admin: true },
    args: {
      email: t.arg.string({ required: true }),
      name: t.arg.string({ required: true }),
      role: t.arg({ type: RoleEnum, required: true }),
      password: t.arg.string({ required: true }),
    },
    resolve: async (_root, args, ctx) => {
      const newPassword = password(args.password, 'password');
      const values = {
        email: email(args.email),
        name: text(args.name, 'name', { max: 200 }),
        role: args.role,
        passwordHash: await hashPassword(newPassword),
      };
      return ctx.db.transaction(async (tx) => {
        const [user] = await tx.insert(users).values(values).returning();
        await audit(tx, {
          actorId: ctx.viewer!.id,
          action: 'USER_CREATED',
          targetUserId: user.id,
          details: { email: user.email, role: user.role },
        });
        return user;
      });
    },
  }),
  updateUser: t.field({
    type: User,
    authScopes: { admin: true },
    description:
      "Admin: changes a user's name, email or role (omitted arguments stay). A role change applies at once: the user's requests are served with the new role and their sockets are closed (4403) so clients renew.",
    args: {
      id: t.arg.id({ required: true }),
      name: t.arg.string({ required: false }),
      email: t.arg.string({ required: false }),
      role: t.arg({ type: RoleEnum, required: false }),
    },
    resolve: async (_root, args, ctx) => {
      const id = parseId(args.id, 'id');
      const changes: Partial<Pick<UserRow, 'name' | 'email' | 'role'>> = {};
      if (args.name != null) changes.name = text(args.name, 'name', { max: 200 });
      if (args.email != null) changes.email = email(args.email);
      if (args.role != null) {
        if (id === ctx.viewer!.id && args.role !== ctx.viewer!.role)
          throw badInput('You cannot change your own role', 'role');
        changes.role = args.role;
      }
      return changeAccess(ctx, { userId: id, sessionId: null }, async (tx) => {
        const [before] = await tx.select().from(users).where(eq(users.id, id)).for('update');
        if (!before) throw notFound('User');
        const [after] = Object.keys(changes).length
          ? await tx.update(users).set(changes).where(eq(users.id, id)).returning()
          : [before];
        const details: Record<string, { from: string; to: string }> = {};
        for (const key of ['name', 'email'] as const)
          if (before[key] !== after[key]) details[key] = { from: before[key], to: after[key] };
        if (Object.keys(details).length)
          await audit(tx, { actorId: ctx.viewer!.id, action: 'USER_UPDATED', targetUserId: id, details });
        if (before.role !== after.role)
          await audit(tx, {
            actorId: ctx.viewer!.id,
            action: 'ROLE_CHANGED',
            targetUserId: id,
            details: { from: before.role, to: after.role },
          });
        return after;
      });
    },
  }),
  deactivateUser: t.field({
    type: User,
    authScopes: { admin: true },
    description:
      'Admin: the user can no longer sign in; every session ends and every socket of theirs, on every instance, is closed (4403 "Account deactivated").',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const target = await otherUser(ctx, args.id, 'deactivate');
      return changeAccess(ctx, { userId: target.id, sessionId: null }, async (tx) => {
        const [user] = await tx
          .update(users)
          .set({ deactivatedAt: target.deactivatedAt ?? new Date() })
          .where(eq(users.id, target.id))
          .returning();
        const ended = await endSessions(tx, { userId: target.id }, 'deactivated');
        if (!target.deactivatedAt)
          await audit(tx, {
            actorId: ctx.viewer!.id,
            action: 'USER_DEACTIVATED',
            targetUserId: target.id,
            details: { sessionsEnded: ended.length },
          });
        return user;
      });
    },
  }),
  reactivateUser: t.field({
    type: User,
    authScopes: { admin: true },
    description: 'Admin: the user may sign in again (their old sessions stay ended).',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const target = await otherUser(ctx, args.id, 'reactivate');
      return ctx.db.transaction(async (tx) => {
        const [user] = await tx.update(users).set({ deactivatedAt: null }).where(eq(users.id, target.id)).returning();
        if (target.deactivatedAt)
          await audit(tx, { actorId: ctx.viewer!.id, action: 'USER_REACTIVATED', targetUserId: target.id });
        return user;
      });
    },
  }),
  resetPassword: t.field({
    type: PasswordReset,
    authScopes: { admin: true },
    description:
      "Admin: replaces the user's password with a random temporary one (returned once, never stored in clear) and ends every session of theirs.",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const target = await otherUser(ctx, args.id, 'reset the password of');
      // 15 random bytes: 20 characters a person can type, ~120 bits.
      const temporaryPassword = randomBytes(15).toString('base64url');
      const passwordHash = await hashPassword(temporaryPassword);
      return changeAccess(ctx, { userId: target.id, sessionId: null }, async (tx) => {
        const [user] = await tx.update(users).set({ passwordHash }).where(eq(users.id, target.id)).returning();
        const ended = await endSessions(tx, { userId: target.id }, 'password-reset');
        await audit(tx, {
          actorId: ctx.viewer!.id,
          action: 'PASSWORD_RESET',
          targetUserId: target.id,
          details: { sessionsEnded: ended.length },
        });
        return { user, temporaryPassword };
      });
    },
  }),
}));
