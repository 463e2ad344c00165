/** The gates pages: the list of gates and one gate's page, composed from ui/pages/gate/. */
import { Link } from 'wouter-preact';
import { useWords } from '../i18n';
import { usePoll } from '../poll';
import { ProgramFrame, useProgram, type GateView } from '../program';
import { Gates } from './gate/GatesList';
import { Criteria, GateHead } from './gate/Summary';
import { Decide } from './gate/Decide';
import { RecordEvidence } from './gate/RecordEvidence';
import { Decisions, type RecordedDecision } from './gate/Decisions';
import { GateIncidents, Trend } from './gate/Context';

export function GatesPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="gates">
      <Gates />
    </ProgramFrame>
  );
}

export function GatePage({ programId, gate }: { programId: string; gate: string }) {
  return (
    <ProgramFrame programId={programId} active="gates">
      <Gate gateKey={gate} />
    </ProgramFrame>
  );
}

// ------------------------------------------------------------------ one gate

type GateDetail = GateView & { recordedDecisions: RecordedDecision[]; approverNames: Record<string, string> };

function Gate({ gateKey }: { gateKey: string }) {
  const { status, refresh } = useProgram();
  const { t } = useWords();
  const detail = usePoll<GateDetail>(`/v1/programs/${encodeURIComponent(status.programId)}/gates/${encodeURIComponent(gateKey)}`, 5000);
  const gate = status.gates.find((g) => g.gate === gateKey);
  if (!gate) {
    return (
      <section>
        <h2>{t('ui.gate.noSuchGate', { gate: gateKey })}</h2>
        <p>
          <Link href={`/programs/${status.programId}/gates`}>{t('ui.gate.allGates')}</Link>
        </p>
      </section>
    );
  }
  const done = () => {
    refresh();
    detail.refresh();
  };
  return (
    <>
      <p class="crumbs">
        <Link href={`/programs/${status.programId}/gates`}>{t('ui.gate.backToGates')}</Link>
      </p>
      <GateHead gate={gate} names={detail.data?.approverNames ?? {}} />
      <Criteria gate={gate} />
      <Decide gate={gate} programId={status.programId} names={detail.data?.approverNames ?? {}} onDone={done} />
      <RecordEvidence status={status} gate={gate} onDone={done} />
      <Decisions gate={gate} recorded={detail.data?.recordedDecisions} names={detail.data?.approverNames ?? {}} error={detail.error} />
      <div class="grid gate-evidence">
        <Trend status={status} gate={gate} />
        <GateIncidents programId={status.programId} />
      </div>
    </>
  );
}
