import type { StartOptions } from './config';

const DEMO_LOGINS = ['admin@homeroom.test', 'instructor@homeroom.test', 'student@homeroom.test'];

/** What a person needs after `npm start`: where things are and how to log in. */
export function printBanner(options: StartOptions, database: { url: string; embedded: boolean }): void {
  const lines = [
    '',
    `Homeroom is running${options.dev ? ' (dev mode: hot reload)' : ''}`,
    `  web app     http://localhost:${options.webPort}`,
    `  GraphQL     ${options.apiUrl}   (GraphiQL in a browser)`,
    `  health      http://localhost:${options.apiPort}/health  /ready`,
    `  database    ${redact(database.url)}${database.embedded ? `  (embedded, data in ${options.dataDir}/postgres)` : ''}`,
    '',
    ...(options.seed ? ['  demo logins (password: homeroom)', ...DEMO_LOGINS.map((email) => `    ${email}`), ''] : []),
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function redact(url: string): string {
  return url.replace(/\/\/([^:/@]+):[^@]*@/, '//$1:***@');
}
