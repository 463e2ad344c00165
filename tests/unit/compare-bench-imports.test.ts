import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../platform/config';

describe('the modules the comparison bench loads', () => {
  // The bench (bench/compare.ts) measures its process's peak RSS, which is the engine's plus
  // whatever the modules it imports hold. tools/services (then platform/services) imported the Temporal client at the
  // top for the dev server's search attributes, and every process that only wanted a PostgreSQL
  // carried its gRPC stack and protobuf definitions: ~12 MB of heap, ~25 MB more peak RSS at 1M
  // rows per side (issue 19, docs/comparison.md).
  it('do not include the Temporal client, its protobuf definitions or gRPC', () => {
    const script = [
      "require('./compare');",
      "require('./tools/services');",
      'console.log(JSON.stringify(Object.keys(require.cache)));',
    ].join(' ');
    const run = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
    expect(run.stderr).toBe('');
    expect(run.status).toBe(0);
    const loaded = JSON.parse(run.stdout) as string[];
    // the check sees the modules at all: the engine's own files are in the list
    expect(loaded.some((f) => f.endsWith('/compare/engine.ts'))).toBe(true);
    expect(loaded.filter((f) => /\/node_modules\/(@temporalio\/(client|proto)|@grpc\/|protobufjs)\//.test(f))).toEqual([]);
  });
});
