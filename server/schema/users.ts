import { asc, eq, inArray } from 'drizzle-orm';
import { DUMMY_HASH, hashPassword, verifyPassword } from '../../db/passwords';
import { users } from '../../db/schema';
import { builder } from '../builder';
import { badInput, unauthenticated } from '../errors';
import { PER_VIEWER } from '../live/shared-execution';
import { text } from '../validate';

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
    args: { role: t.arg({ type: RoleEnum, required: false }) },
    resolve: (_root, args, ctx) =>
      ctx.db
        .select()
        .from(users)
        .where(args.role ? eq(users.role, args.role) : undefined)
        .orderBy(asc(users.name)),
  }),
}));

builder.mutationFields((t) => ({
  login: t.field({
    type: AuthPayload,
    args: { email: t.arg.string({ required: true }), password: t.arg.string({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const email = args.email.trim().toLowerCase();
      // Not an address anyone can have: refuse like any wrong login, without touching the database.
      if (email.length > 320 || email.includes('\u0000')) throw unauthenticated('Wrong email or password');
      await ctx.loginLimiter.check(email, ctx.clientAddress);
      const [user] = await ctx.db.select().from(users).where(eq(users.email, email));
      const valid = await verifyPassword(args.password.slice(0, 1024), user?.passwordHash ?? DUMMY_HASH);
      if (!user || !valid) {
        await ctx.loginLimiter.failed(email);
        throw unauthenticated('Wrong email or password');
      }
      await ctx.loginLimiter.succeeded(email);
      return { ...(await ctx.tokens.sign(user)), user };
    },
  }),
  renewToken: t.field({
    type: AuthPayload,
    description: 'Trade a valid (or recently expired) token for a fresh one, keeping the original sign-in time.',
    resolve: async (_root, _args, ctx) => {
      const check = ctx.token ? await ctx.tokens.verifyForRenewal(ctx.token) : null;
      if (!check?.ok)
        throw unauthenticated(
          check?.reason === 'expired' ? 'Session expired: sign in again' : 'Send the current token to renew it',
        );
      const [user] = await ctx.db.select().from(users).where(eq(users.id, check.claims.userId));
      if (!user) throw unauthenticated('This account no longer exists');
      return { ...(await ctx.tokens.sign(user, check.claims.authTime)), user };
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
      const email = text(args.email, 'email', { max: 320 }).toLowerCase();
      if (!/^[^\s@]+@[^\s@]+$/.test(email)) throw badInput('email is not an email address', 'email');
      const password = text(args.password, 'password', { min: 8, max: 1024 });
      const [user] = await ctx.db
        .insert(users)
        .values({
          email,
          name: text(args.name, 'name', { max: 200 }),
          role: args.role,
          passwordHash: await hashPassword(password),
        })
        .returning();
      return user;
    },
  }),
}));
