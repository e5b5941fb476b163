import { describe, expect, it } from 'vitest';
import { connectionProfile } from './connect-profile';
import type { CpuProfile } from './profile';

const repo = new URL('../../', import.meta.url).href;

/** A profile from stacks (outermost first) with their sample counts, 100 µs a sample. */
function profileOf(stacks: [string[], number][]): CpuProfile {
  const nodes: CpuProfile['nodes'] = [
    { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: 0 }, children: [] },
  ];
  const samples: number[] = [];
  for (const [frames, count] of stacks) {
    let parent = nodes[0];
    for (const frame of frames) {
      const [functionName, url = ''] = frame.split(' @ ');
      const node = { id: nodes.length + 1, callFrame: { functionName, url, lineNumber: 0 }, children: [] as number[] };
      nodes.push(node);
      parent.children!.push(node.id);
      parent = node;
    }
    for (let i = 0; i < count; i++) samples.push(parent.id);
  }
  return { startTime: 0, nodes, samples, timeDeltas: samples.map(() => 100) };
}

describe('connectionProfile', () => {
  it('gives each sample to the innermost frame a group owns, per connection', () => {
    const profile = profileOf([
      // The HMAC in node:crypto, called by the token check, which the transport called: authentication.
      [
        [
          `onMessage @ ${repo}server/transport/graphql-transport-ws.ts`,
          `verify @ ${repo}server/auth/tokens.ts`,
          'sign @ node:internal/crypto/sig',
          'digest',
        ],
        3,
      ],
      // A membership load in the driver: the driver.
      [[`load @ ${repo}server/auth/access.ts`, `execute @ ${repo}node_modules/postgres/src/connection.js`], 2],
      [[`completeUpgrade @ ${repo}node_modules/ws/lib/websocket-server.js`, 'createHash @ node:crypto'], 1],
      [['onconnection @ node:net'], 1],
      [['(garbage collector)'], 2],
      [['(idle)'], 50],
    ]);
    const summary = connectionProfile(profile, 2);
    expect(summary.busyMicrosPerConnection).toBe(450);
    expect(
      Object.fromEntries(summary.groups.map((g) => [g.group.replace(/ \(.*$/, ''), g.microsPerConnection])),
    ).toEqual({
      'authentication: JWT check, session, memberships': 150,
      'postgres driver': 100,
      'HTTP upgrade': 50,
      'TCP accept, socket reads and writes': 50,
      GC: 100,
    });
  });
});
