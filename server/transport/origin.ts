import type { IncomingMessage } from 'node:http';

/**
 * Non-browser clients send no Origin and are judged by their token alone. A browser may connect
 * from the web app's origins or from the API's own (GraphiQL).
 */
export function isAllowedOrigin(origin: string | undefined, req: IncomingMessage, allowed: string[]): boolean {
  if (!origin) return true;
  if (allowed.includes(origin)) return true;
  const host = req.headers.host;
  return Boolean(host) && (origin === `http://${host}` || origin === `https://${host}`);
}
