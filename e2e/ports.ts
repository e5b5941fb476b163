/** Where the e2e copy of the app listens: away from `npm start`'s 4000/3000/54329. */
const num = (name: string, fallback: number) => Number(process.env[name] || fallback);

export const E2E = {
  apiPort: num('E2E_API_PORT', 4100),
  webPort: num('E2E_WEB_PORT', 3100),
  pgPort: num('E2E_PG_PORT', 54339),
  /** The e2e API's JWT secret (test-only; see e2e/tokens.ts). */
  jwtSecret: process.env.E2E_JWT_SECRET || 'e2e-only-secret-never-used-outside-the-test-copy',
  get apiUrl() {
    return `http://localhost:${this.apiPort}/graphql`;
  },
  get webUrl() {
    return `http://localhost:${this.webPort}`;
  },
};
