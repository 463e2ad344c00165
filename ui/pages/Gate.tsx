import { ProgramFrame } from '../program';

export function GatesPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="gates">
      <p>Gates come here.</p>
    </ProgramFrame>
  );
}

export function GatePage({ programId, gate }: { programId: string; gate: string }) {
  return (
    <ProgramFrame programId={programId} active="gates">
      <p>Gate {gate} comes here.</p>
    </ProgramFrame>
  );
}
