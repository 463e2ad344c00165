import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GateView } from '../../domain/rollout';
import { confirmAction, fillSignIn, launchBrowser, peopleOf, screenshot, signIn } from '../helpers/browser';
import type { TestDatabase } from '../helpers/db';
import { comparisonSources, quickParallelRun, sourcesEnv } from '../helpers/comparison-sources';
import { oneApprover, programDriver } from '../helpers/command-center';
import { startStack, type TestStack } from '../helpers/stack';

/**
 * The command center in Simplified Chinese, in real headless Chromium against the real stack: a
 * VP whose own locale is zh-CN decides a gate in a Chinese page, and an on-call whose locale is
 * zh-CN gets a Chinese e-mail and acknowledges from its link in a Chinese page. The browser
 * itself says en-GB: the page follows the signed-in person, not the browser.
 */
type Person = Awaited<ReturnType<TestStack['person']>>;
let stack: TestStack;
let sources: TestDatabase;
let browser: Browser;
let launching: Promise<Browser> | undefined;
let lead: Person;
let oncall: Person;
let vp: Person;

const { api, status, newProgram, openReadinessGate } = programDriver(() => ({ url: stack.url, lead: lead.headers }), 'zh');

beforeAll(async () => {
  sources = await comparisonSources('cc_zh_sources');
  launching = launchBrowser().then((b) => (browser = b));
  stack = await startStack('command_center_zh', {
    linksToSelf: true,
    workerEnv: sourcesEnv('ZH', sources),
  });
  await launching;
  lead = await stack.person(['lead'], 'p-lead-01', '李娜');
  oncall = await stack.person(['oncall'], 'p-oncall-01', '王伟');
  vp = await stack.person(['leadership'], 'p-vp-01', '陈杰');
  await stack.person(['leadership'], 'p-itdir-01', '刘洋');
  await stack.person(['leadership'], 'p-cmo-01', '孙慧');
  for (const p of [oncall, vp]) expect((await api('PUT', '/v1/me/locale', p.headers, { locale: 'zh-CN' })).status).toBe(200);
});
afterAll(async () => {
  await launching?.catch(() => undefined);
  await people.closeAll();
  await browser?.close();
  await stack?.stop();
  await sources?.close();
});

const people = peopleOf(() => browser);
const person = people.person;

/**
 * Latin words of three letters or more left on a page: department codes (capitals), the product,
 * the language menu's "English" and the names the plan gives (`allowed`) are no English to translate.
 */
const englishWords = (text: string, allowed: string[]) =>
  (allowed.reduce((rest, a) => rest.split(a).join(' '), text).match(/[A-Za-z]{3,}/g) ?? []).filter(
    (w) => !/^(golive|English|[A-Z0-9]+)$/.test(w),
  );

describe('command center in Simplified Chinese', () => {
  it('a VP whose locale is zh-CN sees the overview in Chinese and decides the readiness gate in a Chinese page', async () => {
    const programId = await newProgram(oneApprover);
    await openReadinessGate(programId);

    const page = await signIn(await person('vp'), stack.browserUrl, vp.token, `/programs/${programId}`);
    await page.getByRole('heading', { name: '待决策的上线评审' }).waitFor({ state: 'visible' });
    expect(
      await page.evaluate(
        () => (globalThis as unknown as { document: { documentElement: { lang: string } } }).document.documentElement.lang,
      ),
    ).toBe('zh-CN');
    const overview = await page.locator('main').innerText();
    for (const words of ['阶段', '上线准入评审', '科室', '双轨并行', '未解决的事件', '使用旧系统', '医院时区'])
      expect(overview).toContain(words);
    // Phases, states and gates in words, never their ids; the only Latin left is codes and names from the plan.
    expect(overview).not.toMatch(/gate-open|readiness|going-live|legacy\b|Pilot|Wave/);
    expect(englishWords(overview, [programId, 'Test General Hospital', 'Asia/Shanghai'])).toEqual([]);
    await screenshot(page, 'overview.zh-CN');

    await page.getByRole('link', { name: '上线准入评审' }).first().click();
    await page.getByRole('heading', { name: '您的决策' }).waitFor({ state: 'visible' });
    const gatePage = await page.locator('main').innerText();
    for (const words of ['准入条件', '审批人', '已有决策', '满足']) expect(gatePage).toContain(words);
    await confirmAction(page, page.getByTestId('gate-go'), { '备注（可选，随您的决策显示）': '证据已审阅，同意上线' }, '通过');

    await expect
      .poll(async () => (await status(programId)).gates, {
        timeout: 30_000,
        interval: 250,
      })
      .toEqual(expect.arrayContaining([expect.objectContaining({ gate: 'readiness', status: 'go' })]));
    const gate = (await status(programId)).gates.find((g) => g.gate === 'readiness') as GateView;
    expect(gate.decisions).toMatchObject([{ approverId: vp.personId, decision: 'go', comment: '证据已审阅，同意上线' }]);
    // The page shows the decision in Chinese, without a reload.
    const decisions = page.getByTestId('gate-decisions');
    await expect.poll(async () => (await decisions.isVisible()) && (await decisions.innerText()), { timeout: 10_000 }).toContain('陈杰');
    expect(await decisions.innerText()).toContain('通过');
    await screenshot(page, 'gate.zh-CN');
  });

  it('an on-call whose locale is zh-CN gets a Chinese e-mail and acknowledges from its link in a Chinese page', async () => {
    const programId = await newProgram();
    const raisedAt = Date.now();
    const raised = await api('POST', '/v1/incidents', lead.headers, { programId, departments: ['LAB'], severity: 'sev2' });
    expect(raised.status, JSON.stringify(raised.body)).toBe(202);
    const incidentId = String(raised.body.incidentId);

    const toOncall = (m: { to: string[]; text: string; receivedAt: number }) =>
      m.receivedAt >= raisedAt && m.to.includes('p-oncall-01@hospital.test') && /\/ack\//.test(m.text);
    const mail = (await stack.smtp.waitFor((ms) => ms.some(toOncall), 30_000)).find(toOncall)!;
    expect(mail.subject).toContain('【golive');
    expect(mail.text).toContain('值班升级名单');
    expect(mail.text).toContain('认领此事件');
    expect(mail.text).not.toMatch(/Acknowledge|escalation|Severity/);
    const link = /https?:\/\/[^\s<>"]+\/ack\/[A-Za-z0-9_-]{43}/.exec(mail.text)?.[0];
    expect(link, mail.text).toBeDefined();

    const page = await (await person('oncall')).newPage();
    await page.goto(link!);
    await fillSignIn(page, oncall.token);
    await page.getByRole('heading', { name: '认领事件' }).waitFor({ state: 'visible' });
    await page.getByTestId('ack-confirm').waitFor({ state: 'visible' });
    const before = await page.locator('main').innerText();
    for (const words of ['项目', '科室', '状态', '待认领', '当前登录：王伟']) expect(before).toContain(words);
    await confirmAction(page, page.getByTestId('ack-confirm'), {}, '认领：由我负责');
    const result = page.getByTestId('ack-result');
    await result.waitFor({ state: 'visible' });
    const said = await result.innerText();
    expect(said).toContain('已认领');
    expect(said).toContain(incidentId);
    await screenshot(page, 'ack.zh-CN');

    // The incident's own page from there: its status, facts and escalation timeline in Chinese.
    await page.getByRole('link', { name: '打开此事件' }).click();
    const statusLine = page.getByTestId('incident-status');
    await expect.poll(async () => await statusLine.getAttribute('data-status'), { timeout: 10_000 }).toBe('acknowledged');
    // The owner by name, not id.
    expect(await statusLine.innerText()).toMatch(/已认领 王伟自 .*（中国标准时间） 起负责；升级已停止。/);
    const timeline = await page.getByTestId('incident-timeline').innerText();
    for (const words of ['发生', '已认领', '升级级别']) expect(timeline).toContain(words);
    expect(timeline).not.toMatch(/\b(raised|queued|delivered|acknowledged|escalated)\b/);
    await screenshot(page, 'incident.zh-CN');

    const incident = (await api('GET', `/v1/incidents/${incidentId}`, lead.headers)).body;
    expect(incident).toMatchObject({ status: 'acknowledged', ownerId: oncall.personId });
  });

  it('shows a program in its pilot in Chinese: the parallel run day, nights compared, departments live (the README picture)', async () => {
    const programId = await newProgram((p) => {
      oneApprover(p);
      p.parallelRun = quickParallelRun('ZH');
    });
    await openReadinessGate(programId);
    expect((await api('POST', `/v1/programs/${programId}/gates/readiness/decisions`, vp.headers, { decision: 'go' })).status).toBe(200);
    expect((await api('POST', `/v1/programs/${programId}/waves/1/start`, lead.headers, {})).status).toBe(200);
    await expect
      .poll(async () => (await status(programId)).parallelRun.nightsCompared, {
        timeout: 60_000,
        interval: 500,
      })
      .toBeGreaterThanOrEqual(2);

    const page = await signIn(await person('vp'), stack.browserUrl, vp.token, `/programs/${programId}`);
    const runDay = page.getByTestId('run-day');
    await runDay.waitFor({ state: 'visible' });
    // The run's start (hospital time, labelled), its nights, and why its end is not known yet, in Chinese.
    await expect
      .poll(async () => await runDay.innerText(), { timeout: 10_000 })
      .toMatch(/自 2\d{3}-\d\d-\d\d \d\d:\d\d（中国标准时间） 起运行 · 已核对 [2-9]\d* 晚 · 结束时间从最后一批分批推广上线起计算/);
    const overview = await page.locator('main').innerText();
    for (const words of ['已上线（双轨并行）', '试点（第 1 批分批推广）', '核对域', '连续无差异', '警告'])
      expect(overview).toContain(words);
    expect(await page.getByTestId('final-blockers').innerText()).toBe('暂不能申请最终验收评审：最后一批分批推广尚未上线');
    expect(englishWords(overview, [programId, 'Test General Hospital', 'Asia/Shanghai', 'charges', 'orders'])).toEqual([]);
    await screenshot(page, 'overview-pilot-live.zh-CN');
  });

  it('a person who reads English switches the page to Chinese from the language menu: words, times and the stored locale follow, without a reload', async () => {
    const programId = await newProgram();
    const reader = await stack.person(['viewer'], undefined, 'Zhou Lan');
    const page = await signIn(await person('switcher'), stack.browserUrl, reader.token, `/programs/${programId}`);
    await page.getByRole('heading', { name: 'Open gates' }).waitFor({ state: 'visible' });
    const head = page.locator('hgroup.program-head p');
    expect(await head.innerText()).toMatch(/updated \d{4}-\d\d-\d\d \d\d:\d\d:\d\d Asia\/Shanghai/);
    await page.evaluate(() => {
      (globalThis as { notReloaded?: boolean }).notReloaded = true;
    });

    await page.getByTestId('language').selectOption('zh-CN');
    await page.getByRole('heading', { name: '待决策的上线评审' }).waitFor({ state: 'visible' });
    expect(await head.innerText()).toMatch(/更新于 \d{4}-\d\d-\d\d \d\d:\d\d:\d\d（中国标准时间）/);
    expect(await page.getByTestId('signed-in-as').innerText()).toContain('查看者');
    expect(await page.evaluate(() => (globalThis as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // Kept as the person's own: the API's messages to them follow it too.
    await expect
      .poll(async () => (await api('GET', '/v1/session', reader.headers)).body.person, { timeout: 5000 })
      .toMatchObject({ locale: 'zh-CN' });
    const refused = await api('POST', `/v1/programs/${programId}/waves/1/start`, reader.headers, {});
    expect(refused.status).toBe(403);
    expect(String(refused.body.message)).toMatch(/[\u4e00-\u9fff]/);
  });

  it('shows an emergency to a zh-CN on-call in Chinese: the banner, paper mode, the facts and the timeline', async () => {
    const programId = await newProgram();
    const declared = await api('POST', `/v1/programs/${programId}/emergencies`, lead.headers, {
      departments: ['LAB'],
      reason: 'EMR unreachable',
    });
    expect(declared.status, JSON.stringify(declared.body)).toBe(200);
    const page = await signIn(await person('oncall'), stack.browserUrl, oncall.token, `/programs/${programId}/emergency`);
    const banner = page.getByTestId('emergency-banner');
    await banner.waitFor({ state: 'visible' });
    expect(await banner.innerText()).toMatch(/应急 #1：纸质模式运行中 自 .*（中国标准时间） 起 — LAB。/);
    await page.getByTestId('emergency-facts').waitFor({ state: 'visible' });
    const facts = await page.getByTestId('emergency-facts').innerText();
    for (const words of ['原因', '启动时间', '纸质工作的科室', '已持续', '尚未']) expect(facts).toContain(words);
    // Who declared it, by name (the page asks /v1/people/names); the id only in the tooltip.
    await expect.poll(async () => await page.getByTestId('emergency-facts').innerText(), { timeout: 10_000 }).toContain('由李娜启动');
    expect(await page.getByTestId('emergency-facts').innerText()).not.toContain('p-lead-01');
    expect(await page.getByTestId('emergency-facts').locator('[title="p-lead-01"]').count()).toBe(1);
    expect(await page.getByTestId('emergency-status').innerText()).toBe('进行中：纸质模式');
    await expect.poll(async () => await page.getByTestId('emergency-timeline').innerText(), { timeout: 10_000 }).toContain('已启动应急');
    const main = await page.locator('main').innerText();
    await screenshot(page, 'emergency.zh-CN');
    // Codes and what people typed stay as they are: the program, the hospital's name, the reason.
    expect(englishWords(main, [programId, 'Test General Hospital', 'Asia/Shanghai', 'EMR unreachable'])).toEqual([]);
    expect(main).toContain('因应急 #1 暂停：EMR unreachable');
    await screenshot(page, 'emergency.zh-CN');
    // The program list names who loaded each program (a second program: the list does not jump to the only one).
    await newProgram();
    await page.goto(new URL('/', stack.browserUrl).href);
    await expect.poll(async () => await page.locator('main').innerText(), { timeout: 10_000 }).toContain('由 李娜 载入');
    expect(await page.locator('main').innerText()).not.toContain('p-lead-01');
  });

  it('says in Chinese why a critical night paused the program, on the overview and the parallel-run page', async () => {
    const programId = await newProgram((p) => {
      oneApprover(p);
      const run = quickParallelRun('ZH');
      // orders differ in one row of four: critical at 10 %, and this plan pauses on it.
      const orders = { ...run.domains[1]!, thresholds: { warning: { count: 0 }, critical: { rate: 0.1 } }, onCritical: 'pause' as const };
      p.parallelRun = { ...run, domains: [run.domains[0]!, orders] };
    });
    await openReadinessGate(programId);
    expect((await api('POST', `/v1/programs/${programId}/gates/readiness/decisions`, vp.headers, { decision: 'go' })).status).toBe(200);
    expect((await api('POST', `/v1/programs/${programId}/waves/1/start`, lead.headers, {})).status).toBe(200);
    await expect.poll(async () => (await status(programId)).phase, { timeout: 60_000, interval: 500 }).toBe('paused');

    const page = await signIn(await person('vp'), stack.browserUrl, vp.token, `/programs/${programId}`);
    const note = page.locator('.paused-note');
    await note.waitFor({ state: 'visible' });
    expect(await note.innerText()).toMatch(/^已暂停：\d{4}-\d\d-\d\d[\d: ]* 的夜间数据一致性核对在 orders 发现严重差异$/);
    await page.getByRole('link', { name: '双轨并行' }).first().click();
    const summary = page.getByTestId('run-summary');
    await summary.waitFor({ state: 'visible' });
    expect(await page.locator('main').innerText()).toContain('昨晚严重差异：orders（计划要求：暂停）');
  });
});
