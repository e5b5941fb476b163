import { describe, expect, it } from 'vitest';
import { type Audience, canSee, shareScope } from './topic';

const as = (audience: Audience) => audience;

describe('topic audiences', () => {
  it('staffAndSubject: a student sees only events about them; staff see all, each student alone', () => {
    const grade = { audienceUserId: 'sam' };
    const policy = as('staffAndSubject');
    expect(canSee(policy, grade, 'sam', 'STUDENT')).toBe(true);
    expect(canSee(policy, grade, 'ada', 'STUDENT')).toBe(false);
    expect(canSee(policy, grade, 'irene', 'INSTRUCTOR')).toBe(true);
    expect(canSee(policy, grade, 'avery', 'ADMIN')).toBe(true);
    expect(canSee(policy, grade, 'sam', null)).toBe(false);
    expect(shareScope(policy, 'STUDENT')).toBeNull();
    expect(shareScope(policy, 'INSTRUCTOR')).toBe('INSTRUCTOR');
  });

  it('members: the course, plus the user an event names (their own removal); shared by role', () => {
    const policy = as('members');
    expect(canSee(policy, { audienceUserId: null }, 'ada', 'STUDENT')).toBe(true);
    expect(canSee(policy, { audienceUserId: null }, 'ada', null)).toBe(false);
    expect(canSee(policy, { audienceUserId: 'ada' }, 'ada', null)).toBe(true);
    expect(canSee(policy, { audienceUserId: 'ada' }, 'sam', null)).toBe(false);
    expect(shareScope(policy, 'STUDENT')).toBe('STUDENT');
    expect(shareScope(policy, null)).toBeNull();
  });

  it('staffAndConcerned: staff, and the user it is about even once removed; other students never', () => {
    const policy = as('staffAndConcerned');
    expect(canSee(policy, { audienceUserId: 'ada' }, 'ada', null)).toBe(true);
    expect(canSee(policy, { audienceUserId: 'ada' }, 'sam', 'STUDENT')).toBe(false);
    expect(canSee(policy, { audienceUserId: 'ada' }, 'irene', 'INSTRUCTOR')).toBe(true);
    expect(shareScope(policy, 'STUDENT')).toBeNull();
  });

  it('staff: instructors and admins only', () => {
    const policy = as('staff');
    expect(canSee(policy, { audienceUserId: null }, 'ada', 'STUDENT')).toBe(false);
    expect(canSee(policy, { audienceUserId: null }, 'irene', 'INSTRUCTOR')).toBe(true);
    expect(canSee(policy, { audienceUserId: null }, 'avery', 'ADMIN')).toBe(true);
  });

  it('recipient: only the user it is addressed to, whatever their role, never shared', () => {
    const policy = as('recipient');
    expect(canSee(policy, { audienceUserId: 'ada' }, 'ada', null)).toBe(true);
    expect(canSee(policy, { audienceUserId: 'ada' }, 'sam', 'ADMIN')).toBe(false);
    expect(shareScope(policy, 'ADMIN')).toBeNull();
  });

  it('conversation: a channel reaches members (shared by role); a direct message its participants in the course and admins, each alone', () => {
    const policy = as('conversation');
    const channel = { audienceUserId: null, data: { conversationId: 'c', participants: null } };
    expect(canSee(policy, channel, 'sam', 'STUDENT')).toBe(true);
    expect(canSee(policy, channel, 'sam', null)).toBe(false);
    expect(shareScope(policy, 'STUDENT', channel)).toBe('STUDENT');
    const direct = { audienceUserId: null, data: { conversationId: 'd', participants: ['sam', 'irene'] } };
    expect(canSee(policy, direct, 'sam', 'STUDENT')).toBe(true);
    expect(canSee(policy, direct, 'irene', 'INSTRUCTOR')).toBe(true);
    expect(canSee(policy, direct, 'ada', 'STUDENT')).toBe(false);
    expect(canSee(policy, direct, 'ivan', 'INSTRUCTOR')).toBe(false);
    expect(canSee(policy, direct, 'sam', null)).toBe(false);
    expect(canSee(policy, direct, 'avery', 'ADMIN')).toBe(true);
    expect(shareScope(policy, 'STUDENT', direct)).toBeNull();
    expect(shareScope(policy, 'ADMIN', direct)).toBeNull();
    // A message whose conversation was already gone names nobody: admins only.
    expect(canSee(policy, { audienceUserId: null, data: { participants: [] } }, 'sam', 'STUDENT')).toBe(false);
  });
});
