import { describe, expect, it } from 'vitest';
import { runbookFromCsv, runbookToCsv } from '../../app/runbook-csv';

const settings = { id: 'pilot-night', title: 'Pilot night', window: { start: '23:30', minutes: 330 } };
const header = 'id,kind,title,department,owner,predecessors,planned_minutes,not_before,sign_off,step';

describe('runbook CSV', () => {
  it('imports a spreadsheet (BOM, quotes, Chinese titles, rotas, fixed times) and exports the same rows back', () => {
    const csv =
      '\uFEFF' +
      [
        header,
        'freeze,manual,"冻结挂号, 门诊",OPD,person:p-nurse-01,,30,,1,',
        'grant,adapter-step,Grant access,LAB,rota:lab-oncall,freeze,5,,1,grant-access',
        'sign-orders,manual,医生确认转换医嘱,IM,person:p-doctor-01,grant,20,1 03:15,2,',
        'end,milestone,Night done,,person:p-lead-01,sign-orders,0,,1,',
      ].join('\r\n');
    const r = runbookFromCsv(csv, settings);
    if (!r.ok) throw new Error(JSON.stringify(r.issues));
    expect(r.runbook.tasks.map((t) => [t.id, t.predecessors, t.plannedMinutes])).toEqual([
      ['freeze', [], 30],
      ['grant', ['freeze'], 5],
      ['sign-orders', ['grant'], 20],
      ['end', ['sign-orders'], 0],
    ]);
    expect(r.runbook.tasks[0]!.title).toBe('冻结挂号, 门诊');
    expect(r.runbook.tasks[1]).toMatchObject({ owner: { rota: 'lab-oncall' }, step: 'grant-access' });
    expect(r.runbook.tasks[2]).toMatchObject({ notBefore: { day: 1, time: '03:15' }, signOff: 2 });
    const again = runbookFromCsv(runbookToCsv(r.runbook), settings);
    expect(again.ok && again.runbook).toEqual(r.runbook);
  });

  it('names the row and column of a bad cell, and of a graph rule, without quoting the cell', () => {
    const r = runbookFromCsv(
      [header, 'a,manual,A,,someone,,30 min,tonight,1,', 'end,milestone,E,,person:p-lead-01,a,0,,1,'].join('\n'),
      settings,
    );
    expect(r).toEqual({
      ok: false,
      issues: [
        { row: 2, column: 'owner', message: 'must be person:<id> or rota:<name>', rule: 'csv-cell' },
        { row: 2, column: 'planned_minutes', message: 'must be a whole number', rule: 'csv-cell' },
        { row: 2, column: 'not_before', message: 'must be <day> <HH:MM>, e.g. 1 03:15', rule: 'csv-cell' },
      ],
    });
    const cycle = runbookFromCsv(
      [header, 'a,manual,A,,person:p-a,b,5,,1,', 'b,manual,B,,person:p-a,a,5,,1,', 'end,milestone,E,,person:p-a,b,0,,1,'].join('\n'),
      settings,
    );
    expect(cycle).toEqual({
      ok: false,
      issues: [{ row: 2, column: 'predecessors', message: 'the tasks a -> b -> a wait for each other', rule: 'no-cycle' }],
    });
    const record = runbookFromCsv(
      [header, 'a,manual,Convert MRN-00012345,,person:p-a,,5,,1,', 'end,milestone,E,,person:p-a,a,0,,1,'].join('\n'),
      settings,
    );
    expect(JSON.stringify(record)).not.toContain('00012345');
    expect(record).toMatchObject({ ok: false, issues: [{ row: 2, column: 'title', rule: 'looks-like-record-number' }] });
  });

  it('refuses a header without the columns and a row with a stray quote, by row', () => {
    expect(runbookFromCsv('id,kind,title\na,manual,A', settings)).toMatchObject({ ok: false, issues: [{ row: 1, rule: 'csv-columns' }] });
    const r = runbookFromCsv([header, 'a,manual,"A,,person:p-a,,5,,1,'].join('\n'), settings);
    expect(r).toMatchObject({ ok: false, issues: [{ rule: 'csv-syntax' }] });
  });
});
