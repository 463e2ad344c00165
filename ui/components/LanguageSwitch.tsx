import { locales, type Locale } from '../../domain/i18n';
import { useWords } from '../i18n';

/** Each language named in itself, so that a reader finds theirs whatever the page shows now. */
const names: Record<Locale, string> = { 'zh-CN': '中文', en: 'English' };

export function LanguageSwitch({ onChange }: { onChange: (l: Locale) => void }) {
  const { locale, t } = useWords();
  return (
    <select
      aria-label={t('ui.frame.language')}
      data-testid="language"
      value={locale}
      onChange={(e) => onChange((e.currentTarget as HTMLSelectElement).value as Locale)}
    >
      {locales.map((l) => (
        <option key={l} value={l} lang={l}>
          {names[l]}
        </option>
      ))}
    </select>
  );
}
