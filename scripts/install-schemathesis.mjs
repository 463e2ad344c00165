#!/usr/bin/env node
// Installs the pinned schemathesis (the API contract test, tests/integration/contract.test.ts)
// into a virtualenv under .tools/schemathesis (git-ignored). Plain Node, no dependencies, like
// scripts/install-tools.mjs: the schemathesis wheel itself is checked against the sha256 below,
// everything it pulls in is pinned by scripts/schemathesis-constraints.txt. pip's own cache is
// used as usual, so a second machine setup or a re-install downloads nothing.
// SCHEMATHESIS points at a binary of your own instead.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const venv = join(root, '.tools', 'schemathesis');
const constraints = join(root, 'scripts', 'schemathesis-constraints.txt');

// Pinned: bump the version and the wheel's hash together (and the constraints with them).
export const SCHEMATHESIS = {
  version: '4.32.5',
  wheel: 'schemathesis-4.32.5-py3-none-any.whl',
  wheelSha256: '5ec7e532ebdf9b0e0239a943df2a565174aecda513b61e564d8ad2a3ac801f22',
};

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const log = (msg) => process.stderr.write(`[install-schemathesis] ${msg}\n`);

/** Path of the schemathesis command, installing it first when missing or of another pin. */
export function ensureSchemathesis() {
  if (process.env.SCHEMATHESIS) return process.env.SCHEMATHESIS;
  const bin = join(venv, 'bin', 'schemathesis');
  const stamp = join(venv, 'golive.version');
  // The stamp names the pin and the constraints it was installed with: a change of either reinstalls.
  const wanted = `${SCHEMATHESIS.version} ${sha256(readFileSync(constraints))}\n`;
  if (existsSync(bin) && existsSync(stamp) && readFileSync(stamp, 'utf8') === wanted) return bin;
  log(`installing schemathesis ${SCHEMATHESIS.version} into .tools/schemathesis ...`);
  rmSync(venv, { recursive: true, force: true });
  const py = process.env.PYTHON ?? 'python3';
  execFileSync(py, ['-m', 'venv', venv], { stdio: ['ignore', 'ignore', 'inherit'] });
  const pip = join(venv, 'bin', 'pip');
  const wheels = join(venv, 'wheels');
  mkdirSync(wheels, { recursive: true });
  const quiet = ['--disable-pip-version-check', '--quiet'];
  execFileSync(pip, ['download', ...quiet, '--no-deps', '--only-binary=:all:', '-d', wheels, `schemathesis==${SCHEMATHESIS.version}`], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const wheel = readdirSync(wheels).find((f) => f === SCHEMATHESIS.wheel);
  if (!wheel) throw new Error(`pip returned no ${SCHEMATHESIS.wheel}`);
  const got = sha256(readFileSync(join(wheels, wheel)));
  if (got !== SCHEMATHESIS.wheelSha256) {
    rmSync(venv, { recursive: true, force: true });
    throw new Error(`sha256 mismatch for ${wheel}: expected ${SCHEMATHESIS.wheelSha256}, got ${got}`);
  }
  execFileSync(pip, ['install', ...quiet, '-c', constraints, join(wheels, wheel)], { stdio: ['ignore', 'ignore', 'inherit'] });
  rmSync(wheels, { recursive: true, force: true });
  writeFileSync(stamp, wanted);
  log(`schemathesis ${SCHEMATHESIS.version} ready`);
  return bin;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) ensureSchemathesis();
