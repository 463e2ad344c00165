/** The demo's story on the terminal: what changed in the program's status since the last look. */
import type { ProgramStatus } from '../../domain/rollout';

/** The story's milestones, from the program's status: phase, waves, gates, nights that were not clean, emergencies. */
export function milestones(previous: ProgramStatus | undefined, now: ProgramStatus): string[] {
  const out: string[] = [];
  if (!previous) return out;
  if (previous.phase !== now.phase)
    out.push(
      now.phase === 'completed'
        ? 'the go-live is complete: the legacy system is retired'
        : `program phase: ${now.phase}${now.pausedReason ? ` (${now.pausedReason})` : ''}`,
    );
  for (const w of now.waves) {
    const before = previous.waves.find((p) => p.wave === w.wave);
    if (before?.status !== w.status)
      out.push(`${w.wave === 1 ? 'pilot (wave 1)' : `wave ${w.wave}`}: ${w.status} (${w.departments.length} departments)`);
  }
  for (const g of now.gates) {
    const before = previous.gates.find((p) => p.gate === g.gate);
    if (before?.status !== g.status) out.push(`gate ${g.gate}: ${g.status === 'open' ? 'decision requested from leadership' : g.status}`);
  }
  const night = now.parallelRun.lastNight;
  if (night && now.parallelRun.nightsCompared !== previous.parallelRun.nightsCompared) {
    const notClean = night.perDomain.filter((d) => d.status !== 'clean');
    out.push(
      `night ${now.parallelRun.nightsCompared} compared (${night.businessDay}): ${notClean.length ? notClean.map((d) => `${d.domain} ${d.status}, ${d.differingKeys} differing`).join('; ') : 'clean'}`,
    );
  }
  if (now.emergency && (previous.emergency?.emergency !== now.emergency.emergency || previous.emergency.status !== now.emergency.status)) {
    out.push(`emergency ${now.emergency.emergency}: ${now.emergency.status}`);
  }
  return out;
}
