import { execFile } from 'node:child_process';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join, normalize } from 'node:path';
import type { MemoryTileStore } from '../../shared/tlog/tile-store.js';

/** Writes a log's tiles, entry bundles and signed checkpoint under `dir`, in the tlog-tiles layout. */
export async function writeLogDirectory(
  dir: string,
  store: MemoryTileStore,
  checkpoint: string,
): Promise<void> {
  for (const [path, bytes] of store.objects) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), bytes);
  }
  await writeFile(join(dir, 'checkpoint'), checkpoint);
}

/** Serves `dir` read-only on a loopback port, as a static tlog-tiles log would be served over HTTP. */
export async function serveDirectory(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
    const file = join(dir, path);
    if (path.includes('..') || !existsSync(file) || !statSync(file).isFile()) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': 'application/octet-stream' });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

export interface ToolRun {
  code: number | null;
  output: string;
  /** True when the run was killed at its time limit. */
  timedOut: boolean;
}

/**
 * Runs a tool without blocking the event loop (the loopback server must keep answering), killing
 * it after `timeoutMs`: tessera's fsck retries a missing tile forever.
 */
export function runTool(binary: string, args: string[], timeoutMs = 60_000): Promise<ToolRun> {
  return new Promise((resolve) => {
    execFile(
      binary,
      args,
      { timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const killed = Boolean(error && (error as { killed?: boolean }).killed);
        const code = error ? (typeof error.code === 'number' ? error.code : null) : 0;
        resolve({ code: killed ? null : code, output: `${stdout}${stderr}`, timedOut: killed });
      },
    );
  });
}
