/**
 * Plans for tests and the demo. Each call returns a fresh object, so a test may break a copy
 * without touching the next one. Both pass validatePlan.
 */
import { DEFAULT_READINESS_CRITERIA, type PlanInput } from './plan';

type StepInput = NonNullable<PlanInput['defaultSteps']>[number];
type GateInput = PlanInput['gates']['final'];

function step(id: string, system: StepInput['system'], undo: string): StepInput {
  return { id, system, action: id, adapter: 'sim', params: {}, compensation: { action: undo, params: {} } };
}

/** Give staff access, then move the department's interfaces; rollback does the reverse. */
const coreSteps = () => [step('grant-access', 'EMR', 'revoke-access'), step('route-interfaces', 'interface-engine', 'restore-interfaces')];
const labSteps = () => [...coreSteps(), step('switch-analyzer-feed', 'LIS', 'restore-analyzer-feed')];
const radiologySteps = () => [...coreSteps(), step('route-worklist', 'RIS', 'restore-worklist')];
const pharmacySteps = () => [...coreSteps(), step('switch-dispensing', 'pharmacy', 'restore-dispensing')];

const leadership = () => [
  { personId: 'p-vp-01', role: 'leadership' as const },
  { personId: 'p-itdir-01', role: 'leadership' as const },
  { personId: 'p-cmo-01', role: 'leadership' as const },
];
/**
 * During go-live weeks the cutover lead is paged with the on-call engineer; the IT director
 * next; leadership at the top. A sev1 (a failed compensation) tells leadership at once.
 */
const escalation = () => ({
  levels: [{ people: ['p-oncall-01', 'p-lead-01'] }, { people: ['p-itdir-01'] }],
  leadership: ['p-vp-01', 'p-cmo-01'],
  severities: {
    sev1: { startLevel: 1, leadershipAtOnce: true },
    sev2: { startLevel: 1, leadershipAtOnce: false },
    sev3: { startLevel: 1, leadershipAtOnce: false },
    sev4: { startLevel: 1, leadershipAtOnce: false },
  },
});
const emergency = () => ({ contacts: ['p-oncall-01', 'p-lead-01'], runbookUrl: 'https://intranet.hospital.example/runbooks/emr-downtime' });

const quorumGate = (extra: Partial<GateInput> = {}): GateInput => ({
  approvers: leadership(),
  rule: { kind: 'quorum', required: 2 },
  ...extra,
});
const unanimousGate = (extra: Partial<GateInput> = {}): GateInput => ({ approvers: leadership(), rule: { kind: 'all' }, ...extra });

/** 10 departments in 3 waves (pilot IM-OPD + LAB), simulated adapter, Asia/Shanghai, no start windows. */
export function testPlan(): PlanInput {
  return {
    schemaVersion: 1,
    programId: 'test-program',
    hospital: { name: 'Test General Hospital', timeZone: 'Asia/Shanghai' },
    departments: [
      { code: 'IM-OPD', name: 'Internal Medicine Outpatient Clinic', kind: 'outpatient', criticality: 'high' },
      { code: 'LAB', name: 'Clinical Laboratory', kind: 'lab', criticality: 'critical', steps: labSteps() },
      { code: 'PEDS-OPD', name: 'Pediatrics Outpatient Clinic', kind: 'outpatient', criticality: 'medium' },
      { code: 'RAD', name: 'Radiology', kind: 'radiology', criticality: 'high', steps: radiologySteps() },
      { code: 'PHARM', name: 'Pharmacy', kind: 'pharmacy', criticality: 'high', steps: pharmacySteps() },
      { code: 'CARD-IP', name: 'Cardiology Ward', kind: 'inpatient', criticality: 'high' },
      { code: 'ICU', name: 'Intensive Care Unit', kind: 'icu', criticality: 'critical' },
      { code: 'ED', name: 'Emergency Department', kind: 'emergency', criticality: 'critical' },
      { code: 'SURG-IP', name: 'General Surgery Ward', kind: 'inpatient', criticality: 'high' },
      { code: 'OBGYN-IP', name: 'Obstetrics and Gynecology Ward', kind: 'inpatient', criticality: 'high' },
    ],
    adapters: [{ id: 'sim', kind: 'simulated' }],
    defaultSteps: coreSteps(),
    waves: [
      { name: 'Pilot', departments: ['IM-OPD', 'LAB'], exitGate: quorumGate() },
      { name: 'Outpatient and diagnostics', departments: ['PEDS-OPD', 'RAD', 'PHARM', 'CARD-IP'], exitGate: quorumGate() },
      { name: 'Acute care', departments: ['ICU', 'ED', 'SURG-IP', 'OBGYN-IP'], exitGate: quorumGate() },
    ],
    gates: { readiness: quorumGate(), final: unanimousGate() },
    escalation: escalation(),
    emergency: emergency(),
  };
}

/**
 * The demo's ladder in minutes, not the 15 of a real go-live: an incident nobody acknowledges
 * reaches the IT director after 2 minutes and leadership after 4, within the demo's 20 minutes.
 * One climb only (no repeats): after leadership it waits for an owner instead of mailing on.
 */
const demoEscalation = () => {
  const e = escalation();
  return { ...e, levels: e.levels.map((l) => ({ ...l, ackTimeoutMinutes: 2 })), resolutionTimeoutMinutes: 10, repeats: 0 };
};

/**
 * The demo hospital: 23 departments of a Chinese tertiary (grade-A) hospital in 4 waves, with
 * minute-long overrides so the whole cutover, parallel run included, fits a 20-minute demo:
 * the pilot runs 3 minutes and every other wave 2 before its exit gate, the parallel run compares
 * every 2 minutes and lasts 10 after the last wave went live, gates are overdue after 10 minutes,
 * and the on-call ladder climbs every 2 (docs/demo.md has the walkthrough).
 */
export function demoPlan(): PlanInput {
  const dept = (
    code: string,
    name: string,
    kind: PlanInput['departments'][number]['kind'],
    criticality: PlanInput['departments'][number]['criticality'],
  ) => ({ code, name, kind, criticality });
  const demoGate = () => quorumGate({ decisionDeadline: 'PT10M' });
  return {
    schemaVersion: 1,
    programId: 'demo-program',
    hospital: { name: 'Demo Provincial People\u2019s Hospital', timeZone: 'Asia/Shanghai', locale: 'zh-CN' },
    departments: [
      // The pilot's departments each name their night's runbook (stored by the demo's seed from the templates).
      { ...dept('IM-OPD', 'Internal Medicine Outpatient Clinic', 'outpatient', 'high'), runbook: 'night-IM-OPD' },
      { ...dept('LAB', 'Clinical Laboratory', 'lab', 'critical'), steps: labSteps(), runbook: 'night-LAB' },
      dept('SURG-OPD', 'Surgery Outpatient Clinic', 'outpatient', 'medium'),
      dept('PEDS-OPD', 'Pediatrics Outpatient Clinic', 'outpatient', 'high'),
      dept('TCM-OPD', 'Traditional Chinese Medicine Clinic', 'outpatient', 'medium'),
      dept('CARD-IP', 'Cardiology Ward', 'inpatient', 'high'),
      dept('RESP-IP', 'Respiratory Medicine Ward', 'inpatient', 'high'),
      { ...dept('RAD', 'Radiology and Medical Imaging', 'radiology', 'high'), steps: radiologySteps() },
      dept('OBGYN-OPD', 'Obstetrics and Gynecology Outpatient Clinic', 'outpatient', 'medium'),
      dept('STOM-OPD', 'Stomatology Clinic', 'outpatient', 'low'),
      dept('OPHTH-OPD', 'Ophthalmology Clinic', 'outpatient', 'low'),
      dept('ENT-OPD', 'Otorhinolaryngology Clinic', 'outpatient', 'low'),
      dept('GI-IP', 'Gastroenterology Ward', 'inpatient', 'high'),
      dept('NEURO-IP', 'Neurology Ward', 'inpatient', 'high'),
      { ...dept('PHARM', 'Pharmacy', 'pharmacy', 'critical'), steps: pharmacySteps() },
      dept('PHYS-EXAM', 'Health Examination Center', 'outpatient', 'low'),
      dept('GSURG-IP', 'General Surgery Ward', 'inpatient', 'high'),
      dept('ORTHO-IP', 'Orthopedics Ward', 'inpatient', 'medium'),
      dept('ONC-IP', 'Oncology Ward', 'inpatient', 'high'),
      dept('OBGYN-IP', 'Obstetrics and Gynecology Ward', 'inpatient', 'high'),
      dept('PEDS-IP', 'Pediatrics Ward', 'inpatient', 'high'),
      dept('ICU', 'Intensive Care Unit', 'icu', 'critical'),
      dept('ED', 'Emergency Department', 'emergency', 'critical'),
    ],
    // One transient failure shows retries absorbing a flaky interface engine.
    adapters: [
      {
        id: 'sim',
        kind: 'simulated',
        delayMs: 500,
        failSteps: [{ department: 'ORTHO-IP', step: 'route-interfaces', mode: 'transient', times: 2 }],
      },
    ],
    defaultSteps: coreSteps(),
    waves: [
      { name: 'Pilot', departments: ['IM-OPD', 'LAB'], minimumDuration: 'PT3M', exitGate: demoGate() },
      {
        name: 'Outpatient core and imaging',
        departments: ['SURG-OPD', 'PEDS-OPD', 'TCM-OPD', 'CARD-IP', 'RESP-IP', 'RAD'],
        minimumDuration: 'PT2M',
        exitGate: demoGate(),
      },
      {
        name: 'Specialty clinics and medical wards',
        departments: ['OBGYN-OPD', 'STOM-OPD', 'OPHTH-OPD', 'ENT-OPD', 'GI-IP', 'NEURO-IP', 'PHARM', 'PHYS-EXAM'],
        minimumDuration: 'PT2M',
        exitGate: demoGate(),
      },
      {
        name: 'Surgical wards and acute care',
        departments: ['GSURG-IP', 'ORTHO-IP', 'ONC-IP', 'OBGYN-IP', 'PEDS-IP', 'ICU', 'ED'],
        minimumDuration: 'PT2M',
        exitGate: demoGate(),
      },
    ],
    gates: {
      // Besides the usual evidence, each pilot department's night was rehearsed within the fortnight.
      readiness: quorumGate({
        decisionDeadline: 'PT10M',
        criteria: [
          ...DEFAULT_READINESS_CRITERIA,
          { id: 'rehearsal', runbookId: 'night-IM-OPD', withinDays: 14 },
          { id: 'rehearsal', runbookId: 'night-LAB', withinDays: 14 },
        ],
      }),
      final: unanimousGate({ decisionDeadline: 'PT10M' }),
    },
    parallelRun: { minimumDuration: 'PT10M', comparisonEvery: 'PT2M' },
    escalation: demoEscalation(),
    emergency: emergency(),
  };
}
