import { ProgramFrame } from '../program';

export function ParallelRunPage({ programId }: { programId: string }) {
  return (
    <ProgramFrame programId={programId} active="parallel-run">
      <p>The nights-by-domains grid comes here.</p>
    </ProgramFrame>
  );
}
