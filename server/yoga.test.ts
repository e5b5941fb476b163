/**
 * The HTTP endpoints server/yoga.ts serves besides GraphQL over POST: /health, /ready, GraphiQL, GET queries and their CSRF header.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type ApiHarness, startApi } from '../test/api/api';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api?.stop());

describe('HTTP endpoints', () => {
  it('/health answers 200', async () => {
    expect((await api.fetch('/health')).status).toBe(200);
  });

  it('/ready answers 200 once a started instance is serving (database reachable, live pipeline running)', async () => {
    // Readiness includes the live pipeline, which runs from start() (the harness starts it).
    await vi.waitFor(async () => expect((await fetch(`${api.server.baseUrl}/ready`)).status).toBe(200), {
      timeout: 10_000,
      interval: 50,
    });
    expect((await fetch(`${api.server.baseUrl}/health`)).status).toBe(200);
  });

  it('serves GraphiQL on GET /graphql to a browser, without loading scripts from a CDN', async () => {
    const response = await api.fetch('/graphql', { headers: { accept: 'text/html' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/text\/html/);
    const html = await response.text();
    expect(html).toContain('<title>Homeroom API</title>');
    expect(html).not.toMatch(/<script[^>]+src=["']https?:/i);
    expect(html).not.toMatch(/<link[^>]+href=["']https?:\/\/(unpkg|cdn|esm)/i);
  });

  // GET is a "simple" request browsers send cross-site without a preflight: it needs a CSRF header.
  const csrf = { 'graphql-require-preflight': '1' };

  it('answers GET /graphql?query=… with JSON for API clients that send the CSRF header', async () => {
    const response = await api.fetch(`/graphql?query=${encodeURIComponent('{ me { id } }')}`, {
      headers: { accept: 'application/json', ...csrf },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { me: null } });
  });

  it('refuses a GET query without a CSRF header (403) and a form-encoded POST', async () => {
    const get = await api.fetch(`/graphql?query=${encodeURIComponent('{ me { id } }')}`, {
      headers: { accept: 'application/json' },
    });
    expect(get.status).toBe(403);
    const form = await api.fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: `query=${encodeURIComponent('mutation { markAllNotificationsRead }')}`,
    });
    expect(form.status).toBe(403);
  });

  it('refuses a mutation over GET', async () => {
    const response = await api.fetch(`/graphql?query=${encodeURIComponent('mutation { markAllNotificationsRead }')}`, {
      headers: { accept: 'application/json', ...csrf },
    });
    expect(response.status).toBe(405);
  });
});
