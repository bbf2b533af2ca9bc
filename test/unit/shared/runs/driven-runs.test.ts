import { describe, expect, it } from 'vitest';
import { driveRun, leavingDrivenRuns } from '../../../../shared/runs/driven-runs.js';

describe('runs a local driver closes itself', () => {
  it("are left out of its handlers' close checks while it drives them, and only then", async () => {
    const checked: string[][] = [];
    const settler = leavingDrivenRuns({ settle: async (ids) => void checked.push([...ids]) });
    const undrive = driveRun('driven');
    await settler.settle(['driven', 'other', 'driven']);
    undrive();
    await settler.settle(['driven']);
    expect(checked).toEqual([['other'], ['driven']]);
  });
});
