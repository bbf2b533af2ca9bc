import { describe, expect, it } from 'vitest';
import { createClients, SDK_LOGGER_MIDDLEWARE } from '../../../shared/clients.js';
import { NO_FAULTS } from '../../../shared/faults.js';

const stackOf = (client: { middlewareStack: { identify(): string[] } }) =>
  client.middlewareStack.identify().map((entry) => entry.split(' ')[0]);

describe('createClients', () => {
  it("leaves the SDK's logger middleware out of every client, and keeps the rest of the stack", () => {
    const clients = createClients({ s3ForcePathStyle: true, faults: { ...NO_FAULTS } });
    for (const [name, client] of Object.entries(clients)) {
      const stack = stackOf(client);
      expect(stack, name).not.toContain(SDK_LOGGER_MIDDLEWARE);
      expect(stack, name).toContain('retryMiddleware');
      expect(stack, name).toContain('httpSigningMiddleware');
    }
  });
});
