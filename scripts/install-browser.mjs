#!/usr/bin/env node
// Installs the browser the command center's browser tests drive: Debian's `chromium` package
// (/usr/bin/chromium), through apt-get. playwright-core only drives it; Playwright's own
// browser downloads are never used. CHROMIUM_PATH points at a Chromium of your own instead.
//
// Plain Node, no dependencies: bootstrap.mjs calls it before the tests, on a fresh machine too.
// apt-get needs root: run directly as root, else through `sudo -n` (never a password prompt),
// else stop with a message naming the package to install.
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const DEBIAN_PACKAGE = 'chromium';
/** A font with Chinese glyphs, installed with it: without one, the zh-CN pages' screenshots show empty boxes. */
export const CJK_FONT_PACKAGE = 'fonts-wqy-microhei';
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

const log = (msg) => process.stderr.write(`[install-browser] ${msg}\n`);

/** The Chromium binary the tests launch: CHROMIUM_PATH, else Debian's. */
export function chromiumPath() {
  return process.env.CHROMIUM_PATH || DEFAULT_CHROMIUM;
}

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function commandWorks(cmd, args) {
  try {
    execFileSync(cmd, args, { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** How to run apt-get as root here: directly, through passwordless sudo, or not at all. */
function rootRunner() {
  if (typeof process.getuid === 'function' && process.getuid() === 0) return [];
  if (commandWorks('sudo', ['-n', 'true'])) return ['sudo', '-n'];
  return undefined;
}

function fail(why) {
  throw new Error(
    `${why}. The browser tests need Debian's "${DEBIAN_PACKAGE}" package: install it as root ` +
      `(apt-get update && apt-get install -y --no-install-recommends ${DEBIAN_PACKAGE}), ` +
      'or set CHROMIUM_PATH to a Chromium binary.',
  );
}

export function ensureChromium() {
  const path = chromiumPath();
  if (executable(path)) return path;
  // A path of one's own is not ours to install: say so rather than install a different one.
  if (process.env.CHROMIUM_PATH) fail(`CHROMIUM_PATH=${path} is not an executable file`);
  if (!commandWorks('apt-get', ['--version'])) fail(`${path} is missing and this machine has no apt-get`);
  const runner = rootRunner();
  if (!runner) fail(`${path} is missing, and installing it needs root (not root, and sudo -n is not available)`);
  const run = (args) => {
    const [cmd, ...rest] = [...runner, 'apt-get', ...args];
    execFileSync(cmd, rest, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
  };
  log(`${path} is missing: installing Debian's ${DEBIAN_PACKAGE} package with apt-get${runner.length ? ' (sudo)' : ''} ...`);
  try {
    run(['update']);
    run(['install', '-y', '--no-install-recommends', DEBIAN_PACKAGE, CJK_FONT_PACKAGE]);
  } catch (err) {
    fail(`apt-get could not install it (${err.message})`);
  }
  if (!executable(path)) fail(`apt-get finished but ${path} is still missing`);
  log(`${execFileSync(path, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim()} ready`);
  return path;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    ensureChromium();
  } catch (err) {
    log(err.message);
    process.exit(1);
  }
}
