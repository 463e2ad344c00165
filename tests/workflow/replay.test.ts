import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { inject } from 'vitest';

/**
 * Old executions must stay replayable: every recorded history (tests/workflow/histories,
 * refreshed with RECORD_HISTORIES=1) is replayed against today's workflow code. A change that
 * would break a running program fails here; guard it with patched() and record anew.
 */
const dir = join(__dirname, 'histories');
const files = readdirSync(dir).filter((f) => f.endsWith('.history.bin'));

describe('replay of recorded histories', () => {
  it('has histories to replay', () => {
    expect(files.length).toBeGreaterThanOrEqual(2);
  });
  for (const file of files) {
    it(`replays ${file} without nondeterminism`, async () => {
      const history = temporal.api.history.v1.History.decode(readFileSync(join(dir, file)));
      await expect(
        Worker.runReplayHistory({ workflowBundle: { codePath: inject('workflowBundlePath') } }, history),
      ).resolves.toBeUndefined();
    });
  }
});
