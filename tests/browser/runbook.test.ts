import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { testPlan } from '../../domain/demo-plans';
import type { RunbookInput } from '../../domain/runbook';
import type { RunbookRunView } from '../../domain/runbook-run';
import { confirmAction, fillSignIn, launchBrowser, newPerson, screenshot, signIn } from '../helpers/browser';
import { startStack, type TestStack } from '../helpers/stack';
import { uniqueSuffix } from '../helpers/temporal';

/**
 * Issue 18's browser test: a task owner checks a task off from the link in the task's e-mail (no
 * sign-in: the link is the credential), and the timeline, open as the lead in another browser,
 * moves: the task done, the next one ready. Then the link is used up.
 */
type Person = Awaited<ReturnType<TestStack['person']>>;
let stack: TestStack;
let browser: Browser;
let launching: Promise<Browser> | undefined;
let lead: Person;
let nurse: Person;
let porter: Person;
const contexts: BrowserContext[] = [];

beforeAll(async () => {
  launching = launchBrowser().then((b) => (browser = b));
  stack = await startStack('runbook_ui', { linksToSelf: true });
  await launching;
  lead = await stack.person(['lead'], 'p-lead-01', 'Li Na');
  nurse = await stack.person(['viewer'], 'p-rb-nurse', 'Zhou Xin');
  porter = await stack.person(['viewer'], 'p-rb-porter', 'Ma Lei');
});
afterAll(async () => {
  await launching?.catch(() => undefined);
  for (const c of contexts) await c.close().catch(() => undefined);
  await browser?.close();
  await stack?.stop();
});

async function context(who: string): Promise<BrowserContext> {
  const c = await newPerson(browser, who);
  contexts.push(c);
  return c;
}

const call = async (method: string, p: string, headers: Record<string, string>, body?: unknown) => {
  const res = await fetch(`${stack.url}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as Record<string, unknown> };
};

/** A window that opened a minute ago in the plan's zone (Asia/Shanghai, UTC+8 all year), so the first tasks are ready at once. */
function openWindow(): { startDate: string; start: string } {
  const local = new Date(Date.now() + 8 * 3600_000 - 60_000).toISOString();
  return { startDate: local.slice(0, 10), start: local.slice(11, 16) };
}

/** A program of the test plan, and a runbook window that opened a minute ago. */
async function newProgram() {
  const plan = testPlan();
  plan.programId = `rbui-${uniqueSuffix()}`;
  expect((await call('POST', '/v1/programs', lead.headers, plan)).status).toBe(201);
  return { plan, ...openWindow() };
}

const linkIn = (text: string) => /Check it off \(the page asks you to confirm\): (http:\/\/\S+\/check\/[A-Za-z0-9_-]{43})/.exec(text)?.[1];

describe('runbook in headless Chromium', () => {
  it('an owner checks a task off from the e-mail link, and the lead sees the timeline move', async () => {
    const { plan, startDate, start } = await newProgram();
    const runbook: RunbookInput = {
      id: 'pilot-night',
      title: 'Pilot go-live night',
      window: { start, minutes: 330 },
      tasks: [
        {
          id: 'freeze-reg',
          kind: 'manual',
          title: 'Freeze registration',
          department: 'IM-OPD',
          owner: { person: nurse.personId },
          plannedMinutes: 30,
        },
        {
          id: 'print-mar',
          kind: 'paper',
          title: 'Print medication administration records',
          department: 'ICU',
          owner: { person: porter.personId },
          plannedMinutes: 20,
        },
        {
          id: 'convert-census',
          kind: 'manual',
          title: 'Convert the census',
          department: 'IM-OPD',
          owner: { person: nurse.personId },
          predecessors: ['freeze-reg'],
          plannedMinutes: 45,
        },
        {
          id: 'sign-orders',
          kind: 'manual',
          title: 'Physicians sign converted orders',
          department: 'ICU',
          owner: { person: nurse.personId },
          predecessors: ['convert-census', 'print-mar'],
          plannedMinutes: 40,
          signOff: 2,
        },
        {
          id: 'night-done',
          kind: 'milestone',
          title: 'Night done',
          owner: { person: lead.personId },
          predecessors: ['sign-orders'],
          plannedMinutes: 0,
        },
      ],
    };
    const started = await call('POST', `/v1/programs/${plan.programId}/runbook-runs`, lead.headers, {
      runId: 'pilot-night-1',
      mode: 'live',
      runbook,
      startDate,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);

    // The owner's e-mail: codes and times, and a check-off link of their own.
    const nurseAddress = `${nurse.personId}@hospital.test`;
    const mails = await stack.smtp.waitFor((m) => m.some((x) => x.to.includes(nurseAddress) && x.subject.includes('freeze-reg')));
    const mail = mails.find((x) => x.to.includes(nurseAddress) && x.subject.includes('freeze-reg'))!;
    expect(mail.text).not.toContain('Freeze registration'); // the task's words stay on the page
    const link = linkIn(mail.text);
    expect(link, mail.text).toBeDefined();
    expect(new URL(link!).origin).toBe(stack.browserUrl);

    // The lead watches the timeline in a browser of their own.
    const leadPage = await signIn(
      await context('lead'),
      stack.browserUrl,
      lead.token,
      `/programs/${plan.programId}/runbooks/pilot-night-1`,
    );
    await expect.poll(() => leadPage.getByTestId('task-freeze-reg').getAttribute('data-status')).toBe('ready');
    expect(await leadPage.getByTestId('task-convert-census').getAttribute('data-status')).toBe('waiting');
    expect(await leadPage.getByTestId('forecast-end').innerText()).toMatch(/fits, .* to spare/);

    // The nurse opens the link: no sign-in, the task named, nothing done until confirmed.
    const nursePage = await (await context('nurse')).newPage();
    await nursePage.goto(link!);
    await nursePage.getByText('Freeze registration').waitFor();
    await expect
      .poll(async () => (await call('GET', `/v1/programs/${plan.programId}/runbook-runs/pilot-night-1`, lead.headers)).body)
      .toMatchObject({ tasks: expect.arrayContaining([expect.objectContaining({ id: 'freeze-reg', status: 'ready' })]) });
    expect(await nursePage.getByText('Link sent to').locator('..').innerText()).toContain('Zhou Xin');
    await confirmAction(nursePage, nursePage.getByTestId('check-confirm'));
    await expect.poll(() => nursePage.getByTestId('check-result').innerText()).toContain('Done: task freeze-reg is checked off');

    // The lead's timeline moves by itself: freeze done, the census ready.
    await expect.poll(() => leadPage.getByTestId('task-freeze-reg').getAttribute('data-status'), { timeout: 15_000 }).toBe('done');
    await expect.poll(() => leadPage.getByTestId('task-convert-census').getAttribute('data-status'), { timeout: 15_000 }).toBe('ready');

    // Audited with who and the channel.
    const run = (await call('GET', `/v1/programs/${plan.programId}/runbook-runs/pilot-night-1`, lead.headers))
      .body as unknown as RunbookRunView;
    expect(run.tasks.find((t) => t.id === 'freeze-reg')!.signOffs).toEqual([
      expect.objectContaining({ personId: nurse.personId, channel: 'email-link' }),
    ]);
    const { rows } = await stack.db.pool.query(
      `SELECT actor, details FROM audit_log WHERE action = 'runbook.task-checked-off' AND target->>'task' = 'freeze-reg'`,
    );
    expect(rows).toEqual([expect.objectContaining({ actor: nurse.personId, details: expect.objectContaining({ channel: 'email-link' }) })]);

    // The link is used up: opened again, it says so and offers nothing.
    await nursePage.goto(link!);
    await nursePage.getByTestId('check-gone').waitFor();
    expect(await nursePage.getByRole('button', { name: 'Check off' }).count()).toBe(0);
    const again = await call('POST', new URL(link!).pathname, { 'content-type': 'application/json' }, {});
    expect(again.status).toBe(410);

    await leadPage.getByTestId('task-convert-census').scrollIntoViewIfNeeded();
    const shot = await screenshot(leadPage, 'runbook-timeline');
    if (process.env.UPDATE_DOCS_SCREENSHOTS) {
      mkdirSync(path.resolve(__dirname, '../../docs'), { recursive: true });
      copyFileSync(shot, path.resolve(__dirname, '../../docs/runbook-timeline.png'));
    }
  });

  it("My tasks lists the signed-in owner's tasks across runs and checks them off; two rehearsals give a report with its charts", async () => {
    const { plan, startDate, start } = await newProgram();
    const runbook: RunbookInput = {
      id: 'dress',
      title: '彩排 dress rehearsal',
      window: { start, minutes: 60 },
      tasks: [
        {
          id: 'walk-printers',
          kind: 'manual',
          title: 'Walk every label printer',
          department: 'LAB',
          owner: { person: nurse.personId },
          plannedMinutes: 15,
        },
        {
          id: 'check-labels',
          kind: 'validation',
          title: 'Labels print: 检验标签',
          department: 'LAB',
          owner: { person: nurse.personId },
          predecessors: ['walk-printers'],
          plannedMinutes: 10,
        },
        {
          id: 'dress-done',
          kind: 'milestone',
          title: 'Rehearsal done',
          owner: { person: lead.personId },
          predecessors: ['check-labels'],
          plannedMinutes: 0,
        },
      ],
    };
    const startRun = async (runId: string) => {
      const r = await call('POST', `/v1/programs/${plan.programId}/runbook-runs`, lead.headers, {
        runId,
        mode: 'rehearsal',
        runbook,
        startDate,
        // Compressed: each run opens when it starts (two real-time runs of one window on one date
        // would open at the same instant, and the report compares a run with those that opened before it).
        speed: 2,
        rehearsalRecipients: [nurse.personId],
      });
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    };
    await startRun('dress-1');

    // The nurse, signed in, finds the task under My tasks (marked rehearsal) and checks it off there.
    const page = await signIn(await context('nurse-tasks'), stack.browserUrl, nurse.token, '/');
    await page.getByRole('link', { name: 'My tasks' }).click();
    const row = page.getByTestId('my-tasks').locator('tr[data-task="walk-printers"]');
    await row.waitFor({ timeout: 20_000 });
    expect(await row.innerText()).toContain('REHEARSAL');
    await confirmAction(page, row.getByRole('button', { name: 'Check off' }));
    // The validation is next: recorded as passed, from the same list.
    const next = page.getByTestId('my-tasks').locator('tr[data-task="check-labels"]');
    await next.waitFor({ timeout: 20_000 });
    await confirmAction(page, next.getByRole('button', { name: 'Record result' }), {}, 'Record the result');
    await expect
      .poll(async () => (await call('GET', `/v1/programs/${plan.programId}/runbook-runs/dress-1`, lead.headers)).body.status, {
        timeout: 20_000,
      })
      .toBe('finished');
    // (Tasks of other runs may still wait for the nurse: the list spans every running run.)
    await next.waitFor({ state: 'detached', timeout: 20_000 });

    // A second rehearsal of the same runbook, checked off through the API: its report compares the two.
    await startRun('dress-2');
    const path = `/v1/programs/${plan.programId}/runbook-runs/dress-2`;
    await expect
      .poll(async () => (await call('GET', path, lead.headers)).body.tasks, { timeout: 20_000 })
      .toEqual(expect.arrayContaining([expect.objectContaining({ id: 'walk-printers', status: 'ready' })]));
    expect((await call('POST', `${path}/tasks/walk-printers/check-offs`, lead.headers, {})).status).toBe(200);
    await expect
      .poll(async () => (await call('POST', `${path}/tasks/check-labels/check-offs`, lead.headers, { result: 'pass' })).status, {
        timeout: 20_000,
      })
      .toBe(200);
    await expect.poll(async () => (await call('GET', path, lead.headers)).body.status, { timeout: 20_000 }).toBe('finished');

    // The program's runs, from its Runbooks tab: both, each with its report.
    const leadPage = await signIn(await context('lead-report'), stack.browserUrl, lead.token, `/programs/${plan.programId}`);
    await leadPage.getByRole('link', { name: 'Runbooks', exact: true }).click();
    const runs = leadPage.getByTestId('runbook-runs');
    await expect.poll(async () => runs.locator('tbody tr').count(), { timeout: 20_000 }).toBe(2);
    expect(await runs.innerText()).toMatch(/dress-2[\s\S]*dress-1/);
    await runs.locator('tr', { hasText: 'dress-2' }).getByRole('link', { name: 'report' }).click();
    const facts = leadPage.getByTestId('report-facts');
    await facts.waitFor();
    expect(await facts.innerText()).toContain('dress-1');
    expect(await facts.innerText()).toContain('compressed 2×');
    expect(await leadPage.getByRole('heading', { name: /Rehearsal report/ }).count()).toBe(1);
    expect(await leadPage.getByTestId('task-chart').locator('g > title').count()).toBe(3);
    await leadPage.getByTestId('drift-chart').waitFor();
    // The path the rehearsal took: every task, each made ready a moment after the one before it was done.
    expect(await leadPage.getByTestId('drift-chart').locator('g > title').allTextContents()).toEqual([
      expect.stringMatching(/^walk-printers: /),
      expect.stringMatching(/^check-labels: /),
      expect.stringMatching(/^dress-done: /),
    ]);
    await screenshot(leadPage, 'runbook-report');
  });

  it('a 200-task night stays readable: grouped by department, filtered to the critical path', async () => {
    const { plan, startDate, start } = await newProgram();
    const departments = ['ED', 'ICU', 'LAB', 'RAD', 'PHARM', 'OR', 'IM-OPD', 'PED', 'OB', 'ONC'];
    const tasks: RunbookInput['tasks'] = [];
    for (const d of departments)
      for (let i = 0; i < 20; i++)
        tasks.push({
          id: `${d.toLowerCase()}-${i}`,
          kind: 'manual',
          title: `${d} step ${i + 1}`,
          department: d,
          owner: { person: nurse.personId },
          predecessors: i === 0 ? [] : [`${d.toLowerCase()}-${i - 1}`],
          plannedMinutes: 5 + ((i * 7 + d.length) % 11),
        });
    tasks[tasks.length - 1] = {
      ...tasks[tasks.length - 1]!,
      kind: 'milestone',
      title: 'Night done',
      department: undefined,
      predecessors: departments
        .filter((d) => d !== 'ONC')
        .map((d) => `${d.toLowerCase()}-19`)
        .concat('onc-18'),
    };
    const started = await call('POST', `/v1/programs/${plan.programId}/runbook-runs`, lead.headers, {
      runId: 'big-night',
      mode: 'live',
      runbook: { id: 'big-night', title: 'Big night', window: { start, minutes: 330 }, tasks },
      startDate,
    });
    expect(started.status, JSON.stringify(started.body)).toBe(201);

    // The page's clock is the test's, so the now line can be seen to move through a quiet half hour.
    const page = await (await context('lead-big')).newPage();
    await page.clock.install();
    await page.goto(`${stack.browserUrl}/programs/${plan.programId}/runbooks/big-night`);
    await fillSignIn(page, lead.token);
    const rows = page.getByTestId('gantt').locator('li.gantt-row');
    const shown = Date.now();
    await expect.poll(() => rows.count(), { timeout: 20_000 }).toBe(200);
    console.log(`[runbook] 200-task timeline rendered within ${Date.now() - shown} ms of sign-in`);
    expect(await page.locator('details.gantt-group').count()).toBe(departments.length + 1);
    await page.getByLabel('Show tasks').selectOption('critical');
    const critical = await rows.count();
    expect(critical).toBeGreaterThan(1);
    expect(critical).toBeLessThan(40);
    expect(await page.locator('li.gantt-row:not(.critical)').count()).toBe(0);
    await page.getByLabel('Show tasks').selectOption('all');
    await expect.poll(() => rows.count()).toBe(200);
    await screenshot(page, 'runbook-timeline-200');

    // Nothing changes in the run for half an hour (its reads answer 304): the now line moves all the same.
    const nowAt = async () => Number(/left:\s*([\d.]+)%/.exec((await rows.first().locator('.now-line').getAttribute('style')) ?? '')?.[1]);
    const before = await nowAt();
    await page.clock.fastForward('30:00');
    await expect.poll(nowAt).toBeGreaterThan(before + 5);
  });
});
