/** Why the final gate may not be requested yet, in the reader's words (the API's English reasons, as data). */
import { catalogs, type MessageKey } from '../../domain/i18n';
import type { FinalGateBlock } from '../../domain/parallel-run';
import type { PageWords } from '../i18n';
import { domainLabel, nightLabel } from './nights';

export function blockText(w: PageWords, b: FinalGateBlock): string {
  switch (b.kind) {
    case 'minimum-duration':
      return w.t('ui.blocker.minimum-duration', { time: w.when(b.until), extended: b.extended ? 'yes' : 'no' });
    case 'not-compared':
      return w.t('ui.blocker.not-compared', { night: nightLabel(b.businessDay), domain: domainLabel(b.domain) });
    case 'clean-nights':
      return w.t('ui.blocker.clean-nights', { compared: b.compared, needed: b.needed });
    case 'not-clean': {
      // A night without a result for the domain reads "not compared" in the domain's words: shown as the not-yet-run word.
      const key = `ui.state.${b.status}` as MessageKey;
      const status = key in catalogs.en ? w.t(key) : w.t('ui.run.notYetRun');
      return w.t('ui.blocker.not-clean', { night: nightLabel(b.businessDay), domain: domainLabel(b.domain), status });
    }
    case 'last-wave-not-live':
      return w.t('ui.blocker.last-wave-not-live');
  }
}
