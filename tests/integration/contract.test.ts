import { uniqueSuffix } from '../helpers/temporal';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testPlan } from '../../domain/demo-plans';
import { projectRoot } from '../../platform/config';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * The API contract, checked by schemathesis (pinned, installed by scripts/install-schemathesis.mjs)
 * against the real stack: every operation of /openapi.json gets generated requests, valid and
 * invalid, with a lead's token, and none may answer 5xx, a status the document does not list, a
 * body its schema does not allow, or a 4xx to a request the schema calls valid. Everything it
 * does lands in this stack: a throwaway program, the test SMTP server, loopback only.
 */
let stack: TestStack;
let dir: string;
let token: string;
let bin: string;
const programId = `contract-${uniqueSuffix()}`;

beforeAll(async () => {
  const { ensureSchemathesis } = (await import(join(projectRoot, 'scripts/install-schemathesis.mjs'))) as { ensureSchemathesis(): string };
  // Normally installed by `npm test`'s bootstrap already; this keeps the file runnable alone.
  bin = ensureSchemathesis();
  // Schemathesis sends hundreds of requests without credentials on purpose; from one address they
  // would trip the limit on failed authentications (429 for every request after it) within a minute.
  stack = await startStack('contract', { env: { AUTH_FAILURES_PER_MINUTE: '100000' } });
  // One person with every role a lead's work touches, so that generated requests reach the
  // handlers instead of stopping at 403 (role refusals have tests of their own).
  token = (await stack.person(['lead', 'oncall', 'admin'], 'p-lead-01')).token;
  for (const id of ['p-vp-01', 'p-itdir-01', 'p-cmo-01', 'p-oncall-01'])
    await stack.as(id === 'p-oncall-01' ? ['oncall'] : ['leadership'], id);
  const plan = testPlan();
  plan.programId = programId;
  const created = await fetch(`${stack.url}/v1/programs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(plan),
  });
  expect(created.status).toBe(201);
  dir = mkdtempSync(join(tmpdir(), 'golive-contract-'));
});
afterAll(async () => {
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface RunResult {
  code: number | null;
  output: string;
}

function schemathesis(args: string[], timeoutMs: number): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, {
      cwd: dir,
      env: { ...process.env, NO_COLOR: '1', SCHEMATHESIS_HOOKS: join(__dirname, 'contract_hooks.py') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, output });
    });
  });
}

// The event stream stays open until the client goes (its first event comes at once, the next only
// on a change): every case would wait out the request timeout. tests/unit/live-streams.test.ts tests it.
const config = (programId: string) => `
[parameters]
"path.programId" = "${programId}"

[[operations]]
include-path = "/v1/programs/{programId}/stream"
enabled = false
`;

describe('the API contract (schemathesis against the real stack)', () => {
  it('answers every generated request with a documented status and schema, never 5xx, and refuses valid input only for a named rule', async () => {
    writeFileSync(join(dir, 'schemathesis.toml'), config(programId));
    const started = Date.now();
    const res = await schemathesis(
      [
        'run',
        `${stack.url}/openapi.json`,
        '--url',
        stack.url,
        '-H',
        `Authorization: Bearer ${token}`,
        // positive_data_named_rules (contract_hooks.py) in place of positive_data_acceptance: a
        // 400 naming a rule JSON Schema cannot state (cross-field, plan-dependent) is not a fault.
        '--checks',
        'not_a_server_error,status_code_conformance,response_schema_conformance,positive_data_named_rules',
        '--phases',
        'examples,coverage,fuzzing',
        // Bounded both ways: 10 cases per operation and phase, and never more than 2 minutes
        // (fuzzing repeats until that is spent; a loaded machine gets fewer cases, not a longer run).
        '--max-examples',
        '10',
        '--max-time',
        '120',
        '--request-timeout',
        '15',
        '--workers',
        '1',
        '--seed',
        '1',
        '--continue-on-failure',
        '--generation-database',
        'none',
        '--no-color',
        // The repro lines must be exact (it would hide values of fields named "key"); the token is this test's own.
        '--output-sanitize',
        'false',
      ],
      240_000,
    );
    // The whole report (each failure with its curl line) for whoever reads a red run.
    mkdirSync(join(projectRoot, 'test-results'), { recursive: true });
    writeFileSync(join(projectRoot, 'test-results', 'contract-schemathesis.txt'), res.output);
    const summary = res.output.slice(res.output.lastIndexOf('=== SUMMARY ==='));
    const cases = Number(/(\d+) generated/.exec(summary)?.[1] ?? 0);
    console.info(`contract: schemathesis ran ${cases} cases in ${Math.round((Date.now() - started) / 1000)} s\n${summary}`);
    expect(res.code, res.output.slice(-20_000)).toBe(0);
    // At least a few cases for each of the ~47 operations, however loaded the machine.
    expect(cases).toBeGreaterThan(200);
  }, 300_000);
});
