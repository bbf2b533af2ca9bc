import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  currentProcess,
  describeOwner,
  localOwnerToken,
  ownerGone,
  parseOwner,
  processStartStamp,
} from '../../../../shared/worker/process-identity.js';

const here = { host: 'build-1~ab12cd34~4026531836', pid: 100, started: 't5000' };

describe('claim owners that name a local process', () => {
  it('names host, pid and start time, and reads them back', () => {
    const token = localOwnerToken(here);
    expect(parseOwner(token)).toEqual(here);
    expect(localOwnerToken(here)).not.toBe(token);
    expect(describeOwner(token)).toBe('pid 100 on build-1');
  });

  it('keeps a host name with separators intact', () => {
    const odd = { ...here, host: 'a:b/c d' };
    expect(parseOwner(localOwnerToken(odd))).toEqual(odd);
  });

  it('does not read other owners (a Lambda, an older worker) as local processes', () => {
    expect(parseOwner('s3-seal-encrypt:0a1b2c3d4e5f')).toBeUndefined();
    expect(parseOwner('worker:123:0a1b2c3d4e5f')).toBeUndefined();
    expect(parseOwner(undefined)).toBeUndefined();
    expect(describeOwner('s3-seal-encrypt:0a1b')).toBe('s3-seal-encrypt:0a1b');
  });
});

describe('ownerGone', () => {
  const owner = localOwnerToken({ ...here, pid: 200, started: 't7000' });

  it('is true when the pid no longer runs on this host', () => {
    expect(ownerGone(owner, here, () => undefined)).toBe(true);
  });

  it('is true when the pid now runs another process (another start time)', () => {
    expect(ownerGone(owner, here, () => 't9999')).toBe(true);
  });

  it('is false while that very process runs', () => {
    expect(ownerGone(owner, here, () => 't7000')).toBe(false);
  });

  it('is false for another host, whose pids this host cannot check', () => {
    expect(ownerGone(owner, { ...here, host: 'build-2' }, () => undefined)).toBe(false);
  });

  it('is false for owners that are not local processes', () => {
    expect(ownerGone('s3-seal-encrypt:0a1b2c3d4e5f', here, () => undefined)).toBe(false);
    expect(ownerGone(undefined, here, () => undefined)).toBe(false);
  });

  it('knows this process is alive, and an earlier process with its pid is not', () => {
    expect(ownerGone(localOwnerToken(here), here, () => undefined)).toBe(false);
    expect(ownerGone(localOwnerToken({ ...here, started: 't1' }), here, () => undefined)).toBe(true);
  });

  it('checks real processes: this one runs, an exited child does not', () => {
    const self = currentProcess();
    expect(processStartStamp(process.pid)).toBe(self.started);
    expect(ownerGone(localOwnerToken(self))).toBe(false);
    const child = spawnSync(process.execPath, ['-e', 'console.log(process.pid)'], { encoding: 'utf8' });
    const exited = { ...self, pid: Number(child.stdout.trim()) };
    expect(ownerGone(localOwnerToken(exited))).toBe(true);
  });
});
