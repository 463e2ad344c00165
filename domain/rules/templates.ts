/**
 * Fills an http step's path or body template. The plan schema only admits these placeholders,
 * and every value is a code or a number, so nothing here needs escaping.
 */
import type { TemplatePlaceholder } from '../plan';

export type TemplateValues = Record<Exclude<TemplatePlaceholder, 'attempt'>, string> & { attempt: number };

export function renderTemplate(template: string, values: TemplateValues): string {
  return template.replace(/\{\{(department|step|programId|attempt)\}\}/g, (_, name: TemplatePlaceholder) => String(values[name]));
}
