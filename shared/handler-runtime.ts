import { type Clients, createClients } from './clients.js';
import type { Config } from './config.js';
import { loadConfig } from './config.js';

let runtime: { config: Config; clients: Clients } | undefined;

/**
 * Configuration and clients for handlers, built once per process (Lambda execution environment or
 * worker) on first use and reused by every invocation after it.
 */
export function handlerRuntime(): { config: Config; clients: Clients } {
  if (!runtime) {
    const config = loadConfig();
    runtime = { config, clients: createClients(config) };
  }
  return runtime;
}
