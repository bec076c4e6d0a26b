// A flag value read as one CSV record, as buildx reads attribute lists (go-csvvalue, strict mode):
// fields split at commas; a field that starts with `"` is quoted, may hold commas, writes `"` as
// `""`, and must be followed by a comma or the end; a `"` anywhere else is an error. Empty fields
// are kept (the caller decides what they mean). One trailing newline is dropped.

export class CsvError extends Error {}

export function csvFields(value: string): string[] {
  let line = value.endsWith('\r\n') ? value.slice(0, -2) : value.endsWith('\n') ? value.slice(0, -1) : value;
  if (line === '') throw new CsvError('the value is empty');
  const fields: string[] = [];
  for (;;) {
    if (!line.startsWith('"')) {
      const comma = line.indexOf(',');
      const field = comma === -1 ? line : line.slice(0, comma);
      if (field.includes('"')) throw new CsvError(`a quote may only open a field: quote the whole field, as "key=a,b"`);
      fields.push(field);
      if (comma === -1) return fields;
      line = line.slice(comma + 1);
      continue;
    }
    let field = '';
    let rest = line.slice(1);
    for (;;) {
      const quote = rest.indexOf('"');
      if (quote === -1) throw new CsvError('a quoted field is not closed');
      field += rest.slice(0, quote);
      rest = rest.slice(quote + 1);
      if (rest.startsWith('"')) {
        field += '"';
        rest = rest.slice(1);
        continue;
      }
      break;
    }
    fields.push(field);
    if (rest === '') return fields;
    if (!rest.startsWith(',')) throw new CsvError('a closing quote must end its field');
    line = rest.slice(1);
    if (line === '') {
      fields.push('');
      return fields;
    }
  }
}
