import { ProgramFrame } from '../program';

export function EmergencyPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="emergency">
      <p>The emergency comes here.</p>
    </ProgramFrame>
  );
}
