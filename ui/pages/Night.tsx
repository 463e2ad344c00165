import { ProgramFrame } from '../program';

export function NightPage({ programId, businessDay }: { programId: string; businessDay: string }) {
  return (
    <ProgramFrame programId={programId} active="parallel-run">
      <p>Night {businessDay} comes here.</p>
    </ProgramFrame>
  );
}
