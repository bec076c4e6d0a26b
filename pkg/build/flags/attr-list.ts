// Reading a flag value as buildx's attribute lists (`type=registry,ref=r/app:cache,mode=max`).
import { csvFields, CsvError } from './csv.ts';
import { flagError } from './errors.ts';

/** An exporter or cache entry: its type and the rest of its attributes (an output's dest included). */
export interface AttrList {
  readonly type: string;
  readonly attrs: Record<string, string>;
}

/** The value's CSV fields; a malformed value is refused with the flag named. */
export function fieldsOf(flag: string, value: string, example: string): string[] {
  try {
    return csvFields(value);
  } catch (error) {
    if (error instanceof CsvError) throw flagError(flag, value, error.message, `e.g. --${flag} ${example}`);
    throw error;
  }
}

/** `key=value` fields to pairs: every field needs its `=` (buildx: "invalid value FIELD"). */
export function keyValueFields(flag: string, value: string, fields: readonly string[], example: string): Array<[string, string]> {
  return fields.map((field) => {
    const eq = field.indexOf('=');
    if (eq === -1) {
      throw flagError(flag, value, field === '' ? 'it has an empty field (two commas in a row, or one at an end)' : `"${field}" is not key=value`, `e.g. --${flag} ${example}`);
    }
    return [field.slice(0, eq), field.slice(eq + 1)];
  });
}
