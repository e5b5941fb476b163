import { describe, expect, it } from 'vitest';
import { multiplexedSpecs } from './many';

describe('multiplexedSpecs', () => {
  const courses = Array.from({ length: 10 }, (_, i) => `course-${i}`);
  const staff = Array.from({ length: 8 }, (_, i) => ({ token: `t${i}`, courseIndex: i % 10 }));

  it('spreads exactly the subscriptions asked for over the sockets, k or k − 1 each, distinct courses on a socket', () => {
    const specs = multiplexedSpecs({ subscriptions: 21, sockets: 7, perSocket: 3 }, staff, courses);
    expect(specs).toHaveLength(7);
    const perSocket = specs.map((s) => [s, ...(s.more ?? [])]);
    expect(perSocket.flat()).toHaveLength(21);
    const uneven = multiplexedSpecs({ subscriptions: 20, sockets: 7, perSocket: 3 }, staff, courses);
    expect(uneven.map((s) => 1 + (s.more?.length ?? 0))).toEqual([3, 3, 3, 3, 3, 3, 2]);
    for (const socket of perSocket) {
      expect(new Set(socket.map((x) => x.courseIndex)).size).toBe(socket.length);
      for (const x of socket) expect(x.courseId).toBe(courses[x.courseIndex]);
    }
    // Socket i's instructor teaches courses i, i + 1, … (infra.ts gives them exactly those).
    expect(perSocket[6].map((x) => x.courseIndex)).toEqual([6, 7, 8]);
  });

  it('keeps one subscription per socket, as before, while the sockets suffice', () => {
    const specs = multiplexedSpecs({ subscriptions: 5, sockets: 5, perSocket: 1 }, staff, courses);
    expect(specs.map((s) => [s.token, s.courseIndex, s.more])).toEqual(
      [0, 1, 2, 3, 4].map((i) => [`t${i}`, i, undefined]),
    );
  });
});
