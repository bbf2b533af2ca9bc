import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const root = new URL('../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as {
  engines: { node: string };
};
const lock = JSON.parse(readFileSync(new URL('package-lock.json', root), 'utf8')) as {
  packages: Record<string, { dev?: boolean; engines?: { node?: string } | string[] }>;
};

/** The oldest Node major a `>=N[.x.y]` range admits; undefined for any other shape of range. */
function minimumMajor(range: string): number | undefined {
  const match = /^>=\s*(\d+)(\.[\dx]+)*$/.exec(range.trim());
  return match ? Number(match[1]) : undefined;
}

describe('package.json engines', () => {
  const ours = minimumMajor(manifest.engines.node);

  it('is a plain minimum (>=N)', () => {
    expect(ours).toBeTypeOf('number');
  });

  // When a dependency update locks a release that needs a newer Node (AWS SDK releases after
  // January 2027 need Node 22), this fails until engines says so too (docs/deploying.md, "Runtime").
  it('asks for no older Node than any locked production dependency declares', () => {
    const needsNewer: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = !Array.isArray(entry.engines) ? entry.engines?.node : undefined;
      if (path === '' || entry.dev || !range) continue;
      const theirs = minimumMajor(range);
      if (theirs === undefined || theirs > ours!) needsNewer.push(`${path}: node ${range}`);
    }
    expect(needsNewer).toEqual([]);
  });
});
