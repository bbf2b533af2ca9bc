import { describe, expect, it } from 'vitest';
import { instructionSiblings } from '../../../../shared/jobs/instruction-siblings.js';

describe('what a listing page proves about instruction files', () => {
  it('names a listed sibling, and proves absence when a later key is listed', () => {
    const page = ['a', 'a.instruction', 'b', 'b-c', 'c'];
    const known = instructionSiblings(page, false);
    expect(known.get('a')).toBe(true);
    // `b.instruction` would sort before `c`: had it existed, this page would list it.
    expect(known.get('b')).toBe(false);
    expect(known.get('b-c')).toBe(false);
    // The last key of a page with more pages after it: its sibling may be on the next page.
    expect(known.has('c')).toBe(false);
    expect(instructionSiblings(page, true).get('c')).toBe(false);
  });

  it("compares in S3's byte order, not JavaScript's UTF-16 order", () => {
    // U+FF5E sorts after U+1F600 in UTF-16 but before it in UTF-8 bytes (S3's order).
    const page = ['k', '\u{1F600}'];
    expect(instructionSiblings(page, false).get('k')).toBe(false);
    const tight = ['k', 'k.instruction0'];
    expect(instructionSiblings(tight, false).get('k')).toBe(false);
    expect(instructionSiblings(['k', 'k.instructio'], false).has('k')).toBe(false);
  });
});
