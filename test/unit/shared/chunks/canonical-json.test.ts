import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../../../shared/chunks/canonical-json.js';

/** The definition, written plainly: entries without undefined, sorted by key, joined. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

const values: unknown[] = [
  null,
  0,
  -1.5e-7,
  'text with "quotes", \\ and \u2028',
  true,
  [],
  {},
  [1, 'a', null, undefined, [2, [3]], { b: 1, a: 2 }],
  { z: 1, a: undefined, m: { y: [1, { d: 4, c: 3 }], x: null }, '': 'empty key', é: 'accent', Z: 'upper' },
  { '10': 'ten', '9': 'nine', a1: 1, a10: 10, a2: 2 },
  {
    decision: 'encrypted',
    key: 'data/ünïcode/😀 and spaces',
    versionId: undefined,
    before: { sse: 'none', size: 4096 },
    after: { sse: 'aws:kms', kmsKeyArn: 'arn:aws:kms:us-east-1:111122223333:key/k', bucketKey: true },
  },
];

describe('canonicalJson', () => {
  it.each(values.map((value) => [reference(value), value]))('writes %s', (expected, value) => {
    expect(canonicalJson(value)).toBe(expected);
  });

  it('sorts keys at every level and drops undefined members', () => {
    expect(canonicalJson({ b: { d: 1, c: undefined, a: [{ y: 1, x: 2 }] }, a: 1 })).toBe(
      '{"a":1,"b":{"a":[{"x":2,"y":1}],"d":1}}',
    );
  });
});
