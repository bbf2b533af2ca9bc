import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, readlinkSync } from 'node:fs';
import { hostname } from 'node:os';

/**
 * A local process, as a ledger claim names its owner: where it runs, its pid, and when it started
 * (a pid is reused once its process is gone; the start time tells the two apart).
 */
export interface ProcessIdentity {
  /** The machine and, on Linux, the boot and pid namespace: pids mean something only within them. */
  host: string;
  pid: number;
  /** The process's start time as the OS reports it (opaque; compared for equality only). */
  started: string;
}

const PREFIX = 'local';

function readOrUndefined(read: () => string): string | undefined {
  try {
    return read();
  } catch {
    return undefined;
  }
}

/**
 * When a process started, or undefined when no such process exists. Linux: field 22 of
 * `/proc/PID/stat` (clock ticks since boot); elsewhere `ps -o lstart=` as epoch seconds.
 */
export function processStartStamp(pid: number): string | undefined {
  const stat = readOrUndefined(() => readFileSync(`/proc/${pid}/stat`, 'utf8'));
  if (stat !== undefined) {
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return fields[19] ? `t${fields[19]}` : undefined;
  }
  if (readOrUndefined(() => readlinkSync('/proc/self'))) return undefined; // Linux, and pid is gone
  const started = readOrUndefined(() =>
    execFileSync('ps', ['-o', 'lstart=', '-p', String(pid)], { encoding: 'utf8', stdio: 'pipe' }).trim(),
  );
  const epoch = started ? Date.parse(started) : Number.NaN;
  return Number.isNaN(epoch) ? undefined : `s${epoch / 1000}`;
}

function hostIdentity(): string {
  const bootId = readOrUndefined(() => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  const pidNamespace = readOrUndefined(() => readlinkSync('/proc/self/ns/pid'))?.replace(/\D/g, '');
  // Two containers can share a host name but not a pid namespace: a pid is only checked where it
  // means the same process.
  return [hostname(), bootId?.slice(0, 8), pidNamespace].filter(Boolean).join('~');
}

let self: ProcessIdentity | undefined;

/** This process. */
export function currentProcess(): ProcessIdentity {
  self ??= {
    host: hostIdentity(),
    pid: process.pid,
    started: processStartStamp(process.pid) ?? `s${Math.round(Date.now() / 1000 - process.uptime())}`,
  };
  return self;
}

/** A claim owner token naming this process, unique per attempt. */
export function localOwnerToken(identity: ProcessIdentity = currentProcess()): string {
  const { host, pid, started } = identity;
  return [PREFIX, encodeURIComponent(host), pid, started, randomBytes(6).toString('hex')].join(':');
}

/** A token naming this process itself (not one attempt), in the owner token's format. */
export function processToken(identity: ProcessIdentity = currentProcess()): string {
  const { host, pid, started } = identity;
  return [PREFIX, encodeURIComponent(host), pid, started, 'process'].join(':');
}

/** The process a claim owner token names, when a local process wrote it. */
export function parseOwner(owner: string | undefined): ProcessIdentity | undefined {
  const parts = owner?.split(':') ?? [];
  if (parts.length !== 5 || parts[0] !== PREFIX || !/^\d+$/.test(parts[2]!)) return undefined;
  return { host: decodeURIComponent(parts[1]!), pid: Number(parts[2]), started: parts[3]! };
}

/**
 * Whether a claim's owner is proven dead: a local process on this very host whose pid no longer
 * runs, or now runs another process (a different start time). Any other owner (a Lambda, another
 * machine) is presumed alive until its lease runs out.
 */
export function ownerGone(
  owner: string | undefined,
  here: ProcessIdentity = currentProcess(),
  startStamp: (pid: number) => string | undefined = processStartStamp,
): boolean {
  const holder = parseOwner(owner);
  if (!holder || holder.host !== here.host) return false;
  if (holder.pid === here.pid) return holder.started !== here.started;
  return startStamp(holder.pid) !== holder.started;
}

/** An owner token for people: `pid 123 on host` for local processes, the token otherwise. */
export function describeOwner(owner: string | undefined): string {
  const holder = parseOwner(owner);
  if (!holder) return owner ?? 'unknown';
  return `pid ${holder.pid} on ${holder.host.split('~')[0]}`;
}
