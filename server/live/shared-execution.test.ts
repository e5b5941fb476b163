import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { factsOf } from './shared-execution';

describe('shared execution keys', () => {
  it('ignore the variables that only choose events (`courseId`, `after`): resumed subscribers still share', () => {
    const facts = factsOf(
      parse(
        'subscription ($c: ID, $after: String) { gradeChanged(courseId: $c, after: $after) { cursor grade { id score } } }',
      ),
    );
    expect(facts.resultVariables).toEqual([]);
    expect(facts.personal).toBe(false);
  });

  it('keep the variables that shape results, in fields, directives and fragments', () => {
    const facts = factsOf(
      parse(`subscription ($c: ID, $withNote: Boolean!, $x: Boolean!) {
        gradeChanged(courseId: $c) @include(if: $x) { cursor grade { id note @include(if: $withNote) ...F } }
      }
      fragment F on Grade { student { name @skip(if: $x) } }`),
    );
    expect(facts.resultVariables).toEqual(['withNote', 'x']);
  });

  it('mark documents with viewer-dependent fields as personal', () => {
    expect(factsOf(parse('subscription { pollChanged { poll { id myVote { id } } } }')).personal).toBe(true);
    expect(factsOf(parse('subscription { gradeChanged { grade { id } standing { average } } }')).personal).toBe(false);
  });
});
