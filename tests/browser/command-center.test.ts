import { uniqueSuffix } from '../helpers/temporal';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateView } from '../../domain/rollout';
import { confirmAction, fillSignIn, launchBrowser, peopleOf, screenshot, signIn } from '../helpers/browser';
import type { TestDatabase } from '../helpers/db';
import { comparisonSources, quickParallelRun, sourcesEnv } from '../helpers/comparison-sources';
import { oneApprover, programDriver } from '../helpers/command-center';
import { completeProgram, quickPlan } from '../helpers/complete';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * The command center in real headless Chromium against the real stack (dev server, worker
 * process, PostgreSQL, SMTP): what leadership, a viewer, the on-call and the cutover lead do in
 * the page, checked through the API. Screenshots go to test-results/screenshots/.
 */
type Person = Awaited<ReturnType<TestStack['person']>>;
let stack: TestStack;
let sources: TestDatabase;
let browser: Browser;
let launching: Promise<Browser> | undefined;
let lead: Person;
let oncall: Person;
let viewer: Person;
let vp: Person;
let itdir: Person;

beforeAll(async () => {
  sources = await comparisonSources('cc_sources');
  launching = launchBrowser().then((b) => (browser = b));
  stack = await startStack('command_center', {
    linksToSelf: true,
    workerEnv: sourcesEnv('CC', sources),
  });
  await launching;
  // The test plan's people, with names as the screenshots show them.
  lead = await stack.person(['lead'], 'p-lead-01', 'Li Na');
  oncall = await stack.person(['oncall'], 'p-oncall-01', 'Wang Wei');
  viewer = await stack.person(['viewer'], undefined, 'Zhao Min');
  vp = await stack.person(['leadership'], 'p-vp-01', 'Chen Jie');
  itdir = await stack.person(['leadership'], 'p-itdir-01', 'Liu Yang');
  await stack.person(['leadership'], 'p-cmo-01', 'Sun Hui');
});
afterAll(async () => {
  // Whatever failed in beforeAll, a browser that was starting is closed too.
  await launching?.catch(() => undefined);
  await people.closeAll();
  await browser?.close();
  await stack?.stop();
  await sources?.close();
});

const people = peopleOf(() => browser);
const person = people.person;

const driver = programDriver(() => ({ url: stack.url, lead: lead.headers }), 'cc');
const { api, status, newProgram, openReadinessGate } = driver;
const gateOf = async (programId: string, gate: string) => (await status(programId)).gates.find((g) => g.gate === gate) as GateView;

/** A POST from the signed-in page itself, with the session cookie, and the CSRF header only when given. */
function postFromPage(page: Page, path: string, body: unknown, csrfToken?: string) {
  return page.evaluate(
    async ({ path, body, csrfToken }) => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (csrfToken !== undefined) headers['x-csrf-token'] = csrfToken;
      const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body), credentials: 'same-origin' });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    },
    { path, body, csrfToken },
  );
}

describe('command center in headless Chromium', () => {
  it('shows a completed program as complete: no minute past the end, no final gate to request, no empty actions', async () => {
    const plan = quickPlan(`cc-done-${uniqueSuffix()}`);
    expect((await api('POST', '/v1/programs', lead.headers, plan)).status).toBe(201);
    const cmo = await stack.person(['leadership'], 'p-cmo-01', 'Sun Hui');
    await completeProgram({
      url: stack.url,
      programId: plan.programId,
      lead: lead.headers,
      viewer: viewer.headers,
      approvers: [vp.headers, itdir.headers, cmo.headers],
    });
    const page = await signIn(await person('lead'), stack.browserUrl, lead.token, `/programs/${plan.programId}`);
    await page.getByTestId('program-completed').waitFor();
    const text = await page.locator('main').innerText();
    expect(text).toContain('Go-live complete');
    expect(text).toContain('Ended');
    expect(text).not.toMatch(/Minute \d+ of \d+|Day \d+ of \d+/);
    expect(text).not.toContain('The final gate may be requested.');
    expect(await page.getByRole('heading', { name: 'Actions' }).count()).toBe(0);
    await screenshot(page, 'overview-completed');
  });

  it('leadership signs in and approves the readiness gate; the workflow moves on', async () => {
    const programId = await newProgram(oneApprover);
    await openReadinessGate(programId);

    const page = await signIn(await person('approver'), stack.browserUrl, itdir.token, `/programs/${programId}/gates/readiness`);
    await confirmAction(page, page.getByTestId('gate-go'), { comment: 'UAT, training and backup evidence reviewed' });

    await expect.poll(async () => (await gateOf(programId, 'readiness')).status, { timeout: 30_000, interval: 250 }).toBe('go');
    const after = await status(programId);
    expect(after.allowedActions).toContain('start-wave:1');
    expect(after.gates.find((g) => g.gate === 'readiness')!.decisions).toMatchObject([
      { approverId: itdir.personId, decision: 'go', comment: 'UAT, training and backup evidence reviewed' },
    ]);
    // The page shows the decision it made, without a reload.
    const decisions = page.getByTestId('gate-decisions');
    await expect
      .poll(async () => (await decisions.isVisible()) && (await decisions.innerText()), { timeout: 10_000 })
      .toContain(itdir.personId);
    await screenshot(page, 'gate');
  });

  it('shows a viewer no decision buttons, and refuses forged decisions', async () => {
    const programId = await newProgram();
    await openReadinessGate(programId);
    // One of two approvals: the gate stays open, with a decision on the page.
    expect(
      (await api('POST', `/v1/programs/${programId}/gates/readiness/decisions`, vp.headers, { decision: 'go', comment: 'fine by me' }))
        .status,
    ).toBe(200);
    const gatePath = `/programs/${programId}/gates/readiness`;
    const decisionsPath = `/v1/programs/${programId}/gates/readiness/decisions`;

    // An approver sees the buttons on this very page: their absence for the viewer is not an empty page.
    const approverContext = await person('approver');
    const approverPage = await signIn(approverContext, stack.browserUrl, itdir.token, gatePath);
    await approverPage.getByTestId('gate-go').waitFor({ state: 'visible' });
    await approverPage.getByTestId('gate-no-go').waitFor({ state: 'visible' });

    const page = await signIn(await person('viewer'), stack.browserUrl, viewer.token, gatePath);
    const decisions = page.getByTestId('gate-decisions');
    await expect
      .poll(async () => (await decisions.isVisible()) && (await decisions.innerText()), { timeout: 10_000 })
      .toContain(vp.personId);
    // Absent now, and still absent after the page's next poll of the program.
    for (let look = 0; look < 2; look++) {
      if (look) await page.waitForTimeout(2500);
      expect(await page.getByTestId('gate-go').count()).toBe(0);
      expect(await page.getByTestId('gate-no-go').count()).toBe(0);
    }

    const forgedBody = { decision: 'go', comment: 'forged' };
    // From the viewer's page, without the session's CSRF header: refused before roles are even looked at.
    const noCsrf = await postFromPage(page, decisionsPath, forgedBody);
    expect(noCsrf).toMatchObject({ status: 403, body: { error: 'csrf_failed' } });
    // With the right CSRF header, the viewer is still not an approver.
    const csrfToken = await page.evaluate(
      async () => ((await (await fetch('/v1/session', { credentials: 'same-origin' })).json()) as { csrfToken: string }).csrfToken,
    );
    expect(csrfToken).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    const asViewer = await postFromPage(page, decisionsPath, forgedBody, csrfToken);
    expect(asViewer).toMatchObject({ status: 403, body: { error: 'forbidden' } });

    // Another site making the approver's browser send its cookie (no CSRF header, a foreign Origin): refused.
    const cookies = await approverContext.cookies(stack.browserUrl);
    const session = cookies.find((c) => c.name === 'golive_session');
    expect(session).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Strict' });
    const crossSite = await fetch(`${stack.url}${decisionsPath}`, {
      method: 'POST',
      headers: { cookie: `${session!.name}=${session!.value}`, 'content-type': 'application/json', origin: 'https://attacker.example' },
      body: JSON.stringify(forgedBody),
    });
    expect(crossSite.status).toBe(403);
    expect(await crossSite.json()).toMatchObject({ error: 'csrf_failed' });

    // Signed out: a page that never signed in gets 401, whatever it sends.
    const strangerPage = await (await person('stranger')).newPage();
    await strangerPage.goto(new URL(gatePath, stack.browserUrl).href);
    await strangerPage.getByLabel('Your API token').waitFor({ state: 'visible' });
    expect((await postFromPage(strangerPage, decisionsPath, forgedBody, csrfToken)).status).toBe(401);
    expect((await api('POST', decisionsPath, { 'content-type': 'application/json' }, forgedBody)).status).toBe(401);

    // None of it was recorded: the gate still has the one real decision.
    const gate = await gateOf(programId, 'readiness');
    expect(gate.status).toBe('open');
    expect(gate.decisions.map((d) => d.approverId)).toEqual([vp.personId]);
  });

  it('lets the on-call acknowledge an incident from the link in a real e-mail', async () => {
    const programId = await newProgram();
    const raisedAt = Date.now();
    const raised = await api('POST', '/v1/incidents', lead.headers, { programId, departments: ['LAB'], severity: 'sev2' });
    expect(raised.status, JSON.stringify(raised.body)).toBe(202);
    const incidentId = String(raised.body.incidentId);

    // Level 1 of the plan's ladder pages the on-call (and the lead), each with a link of their own.
    const toOncall = (m: { to: string[]; text: string; receivedAt: number }) =>
      m.receivedAt >= raisedAt && m.to.includes('p-oncall-01@hospital.test') && /\/ack\//.test(m.text);
    const mail = (await stack.smtp.waitFor((ms) => ms.some(toOncall), 30_000)).find(toOncall)!;
    const link = /https?:\/\/[^\s<>"]+\/ack\/[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
    expect(link, mail.text).toBeDefined();
    expect(new URL(link!).origin).toBe(stack.browserUrl);
    const linkInfo = await api('GET', `/v1/ack-links/${link!.split('/ack/')[1]}`, {});
    expect(linkInfo.body).toMatchObject({ incidentId, programId });

    // Opened from the e-mail, not signed in: the sign-in form at that very address, then the acknowledge page.
    const page = await (await person('oncall')).newPage();
    await page.goto(link!);
    await page.getByLabel('Your API token').waitFor({ state: 'visible' });
    expect(page.url()).toBe(link);
    await fillSignIn(page, oncall.token);
    expect(page.url()).toBe(link);
    await confirmAction(page, page.getByTestId('ack-confirm'));
    const result = page.getByTestId('ack-result');
    await result.waitFor({ state: 'visible' });
    const said = await result.innerText();
    expect(said).toMatch(/acknowledged/i);
    expect(said).toContain(incidentId);

    const incident = (await api('GET', `/v1/incidents/${incidentId}`, lead.headers)).body;
    expect(incident).toMatchObject({ status: 'acknowledged', ownerId: oncall.personId });
  });

  it('shows the emergency the lead declares to another signed-in user without a reload', async () => {
    const programId = await newProgram();
    const overview = `/programs/${programId}`;
    const [leadPage, viewerPage] = await Promise.all([
      signIn(await person('lead'), stack.browserUrl, lead.token, overview),
      signIn(await person('viewer'), stack.browserUrl, viewer.token, overview),
    ]);
    const heading = (p: Page) => p.getByRole('heading', { name: /Test General Hospital/ }).waitFor({ state: 'visible' });
    await Promise.all([heading(leadPage), heading(viewerPage)]);
    expect(await viewerPage.getByTestId('emergency-banner').count()).toBe(0);
    await screenshot(leadPage, 'overview');
    // A reload would drop this mark; the viewer's page must get the banner from its own polling.
    await viewerPage.evaluate(() => {
      (globalThis as { notReloaded?: boolean }).notReloaded = true;
    });
    let viewerNavigations = 0;
    viewerPage.on('framenavigated', (frame) => {
      if (frame === viewerPage.mainFrame()) viewerNavigations++;
    });

    const confirmedAt = Date.now();
    await confirmAction(
      leadPage,
      leadPage.getByRole('button', { name: 'Declare emergency', exact: true }),
      { 'Reason (kept in the audit trail)': 'the new EMR is unreachable from the wards' },
      'Declare emergency now',
    );
    // The server has answered (the dialog closed); the viewer's page polls every 2 s.
    await viewerPage.getByTestId('emergency-banner').waitFor({ state: 'visible', timeout: 10_000 });
    console.info(`browser: the lead's confirm to the banner on the viewer's page: ${Date.now() - confirmedAt} ms`);
    await leadPage.getByTestId('emergency-banner').waitFor({ state: 'visible', timeout: 10_000 });
    expect(await viewerPage.getByTestId('emergency-banner').innerText()).toMatch(/EMERGENCY #1/);
    expect(await viewerPage.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    expect(viewerNavigations).toBe(0);
    expect((await status(programId)).emergency).toMatchObject({
      emergency: 1,
      status: 'open',
      reason: 'the new EMR is unreachable from the wards',
    });
    await screenshot(viewerPage, 'overview-emergency');
  });

  it('shows the parallel run grid with compared nights', async () => {
    const programId = await newProgram((p) => {
      oneApprover(p);
      p.parallelRun = quickParallelRun('CC');
    });
    await openReadinessGate(programId);
    expect((await api('POST', `/v1/programs/${programId}/gates/readiness/decisions`, vp.headers, { decision: 'go' })).status).toBe(200);
    const started = await api('POST', `/v1/programs/${programId}/waves/1/start`, lead.headers, {});
    expect(started.status, JSON.stringify(started.body)).toBe(200);
    await expect
      .poll(async () => (await status(programId)).parallelRun.nightsCompared, { timeout: 60_000, interval: 500 })
      .toBeGreaterThanOrEqual(2);
    const last = (await status(programId)).parallelRun.lastNight!;
    expect(Object.fromEntries(last.perDomain.map((d) => [d.domain, d.status]))).toEqual({ charges: 'clean', orders: 'warning' });

    const page = await signIn(await person('lead'), stack.browserUrl, lead.token, `/programs/${programId}/parallel-run`);
    const grid = page.getByTestId('nights-grid');
    await grid.waitFor({ state: 'visible' });
    await expect.poll(async () => await grid.innerText(), { timeout: 10_000 }).toMatch(/orders[\s\S]*warning|warning[\s\S]*orders/i);
    expect(await grid.innerText()).toMatch(/charges/);
    await screenshot(page, 'parallel-run-grid');

    // A night's page: every domain's counts, the outcomes beside the original categories too.
    await grid.getByRole('link').first().click();
    const counts = page.getByTestId('night-counts');
    await counts.waitFor({ state: 'visible' });
    await expect.poll(async () => await counts.innerText(), { timeout: 10_000 }).toMatch(/Invalid keys[^\n]*\n?[^\n]*0 \/ 0/);
    expect(await counts.innerText()).toMatch(/Nonexistent local times/);
    expect(await counts.innerText()).toMatch(/Rechecked in flight/);

    // The overview of a program in its pilot, with nights compared: the picture of a go-live under way.
    await page.getByRole('link', { name: 'Overview', exact: true }).click();
    await page.getByTestId('run-day').waitFor({ state: 'visible' });
    await screenshot(page, 'overview-pilot-live');
  });
});
