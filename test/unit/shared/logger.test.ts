import { afterEach, describe, expect, it } from 'vitest';
import { infoEnabled, logger } from '../../../shared/logger.js';

describe('infoEnabled', () => {
  const level = logger.getLevelName();
  afterEach(() => logger.setLogLevel(level));

  it('is true where info lines are written (INFO, DEBUG) and false above (WARN, the default; ERROR)', () => {
    const seen = Object.fromEntries(
      (['DEBUG', 'INFO', 'WARN', 'ERROR'] as const).map((name) => {
        logger.setLogLevel(name);
        return [name, infoEnabled()];
      }),
    );
    expect(seen).toEqual({ DEBUG: true, INFO: true, WARN: false, ERROR: false });
  });
});
