import type postgres from 'postgres';
import type { Role, TokenService } from '../server/auth/tokens';

/**
 * A token of a fresh session, as `login` would make it (every token names an active session),
 * without paying for a password check. `authTime` backdates the sign-in.
 */
export async function mintToken(
  sql: postgres.Sql,
  tokens: TokenService,
  user: { id: string; role: Role },
  options: { authTime?: number; userAgent?: string } = {},
): Promise<{ token: string; expiresAt: Date; sessionId: string }> {
  const [session] = await sql<{ id: string }[]>`
    insert into sessions (user_id, user_agent, address) values (${user.id}, ${options.userAgent ?? 'test'}, '127.0.0.1')
    returning id`;
  return { ...(await tokens.sign(user, { id: session.id, authTime: options.authTime })), sessionId: session.id };
}
