import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from 'playwright-core';

/**
 * Debian's Chromium (scripts/install-browser.mjs installs it; CHROMIUM_PATH overrides), driven by
 * playwright-core. Playwright's own browser downloads are never used.
 */
export const chromiumPath = () => process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const root = path.resolve(__dirname, '..', '..');
export const screenshotDir = path.join(root, 'test-results', 'screenshots');

const args = [
  '--headless',
  // Tests run as root in CI containers, where Chromium's sandbox cannot start.
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  // Pages are browsed at http://localhost:<port> (the session cookie is Secure, and Chromium takes
  // Secure cookies over http from localhost only); the API listens on 127.0.0.1, never on ::1.
  '--host-resolver-rules=MAP localhost 127.0.0.1',
];

/**
 * One browser per test file. launch() gives it a fresh, empty profile (Playwright's own temporary
 * --user-data-dir, deleted on close); each signed-in person gets a context of their own.
 */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (!existsSync(executablePath)) {
    throw new Error(`no Chromium at ${executablePath}: run \`npm run install-browser\` (Debian's chromium package), or set CHROMIUM_PATH`);
  }
  return chromium.launch({ executablePath, headless: true, args, timeout: 60_000 });
}

/** A context for one person: a desktop-sized window, and the page's own errors in the test output. */
export async function newPerson(browser: Browser, who: string): Promise<BrowserContext> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-GB', timezoneId: 'UTC' });
  // Generous: the first page of a run waits for the API's UI bundle, and CI machines have 2 cores.
  context.setDefaultTimeout(30_000);
  context.on('page', (page) => watch(page, who));
  return context;
}

/** The contexts a test file opens for its people, closed together in its afterAll. */
export function peopleOf(browser: () => Browser) {
  const contexts: BrowserContext[] = [];
  return {
    async person(who: string): Promise<BrowserContext> {
      const context = await newPerson(browser(), who);
      contexts.push(context);
      return context;
    },
    async closeAll(): Promise<void> {
      for (const c of contexts) await c.close().catch(() => undefined);
    },
  };
}

function watch(page: Page, who: string): void {
  page.on('pageerror', (err) => console.error(`[browser ${who}] page error: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium logs every 4xx answer as a console error; the tests provoke those on purpose (a
    // page checks the session before signing in, forged requests are refused).
    if (msg.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(msg.text())) {
      console.error(`[browser ${who}] console: ${msg.text()}`);
    }
  });
}

/** Fills the command center's sign-in form on a page that shows it, and waits until signed in. */
export async function fillSignIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('Your API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor({ state: 'visible' });
}

/** Opens the command center at `at` (a path) in a new page of `context` and signs in there with `token`. */
export async function signIn(context: BrowserContext, baseUrl: string, token: string, at = '/'): Promise<Page> {
  const page = await context.newPage();
  await page.goto(new URL(at, baseUrl).href);
  await fillSignIn(page, token);
  return page;
}

/**
 * Runs a <ConfirmAction>: clicks its button (the element `trigger`, or the first button inside it,
 * as with a data-testid wrapper), fills the dialog's fields by label, presses the dialog's confirm
 * button (`confirm`, or the one that is not Cancel), and waits for the dialog to close, which it
 * does once the server has said yes. A refusal stays in the dialog: the error then quotes it.
 */
export async function confirmAction(
  page: Page,
  trigger: Locator,
  fields: Record<string, string> = {},
  confirm?: string | RegExp,
): Promise<void> {
  const isButton = await trigger.evaluate((el) => el.tagName === 'BUTTON');
  await (isButton ? trigger : trigger.getByRole('button').first()).click();
  // Closed dialogs are not rendered; the open one is the modal in front.
  const dialog = page.getByRole('dialog');
  await dialog.waitFor({ state: 'visible' });
  for (const [label, value] of Object.entries(fields)) await dialog.getByLabel(label).fill(value);
  const button =
    confirm !== undefined
      ? dialog.getByRole('button', { name: confirm, exact: typeof confirm === 'string' })
      : dialog
          .getByRole('button')
          .filter({ hasNotText: /^\s*Cancel\s*$/ })
          .last();
  await button.click();
  try {
    await dialog.waitFor({ state: 'hidden', timeout: 20_000 });
  } catch (err) {
    const text = await dialog.innerText().catch(() => '(dialog gone)');
    throw new Error(`the confirmation dialog stayed open; it says: ${text.replace(/\s+/g, ' ').slice(0, 600)}`, { cause: err });
  }
}

/** Saves a full-page screenshot as test-results/screenshots/<name>.png (CI keeps test-results/ as its artefacts). */
export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(screenshotDir, { recursive: true });
  const file = path.join(screenshotDir, `${name}.png`);
  // Let polling settle and fonts load, so the picture shows the page as a person sees it.
  await page.evaluate(() => (globalThis as unknown as { document: { fonts: { ready: Promise<unknown> } } }).document.fonts.ready);
  await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
  return file;
}
