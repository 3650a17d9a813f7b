// Splitting one CSV record into fields (RFC 4180 quoting: "a, b" and doubled "" inside quotes).

/**
 * Fields of a CSV record, or undefined when a quoted field is still open at the end of the text (the record continues
 * on the next line). Text after a closing quote is kept, as Python's csv module does, rather than rejected.
 */
export function parseCsvRecord(text: string): string[] | undefined {
  const fields: string[] = [];
  const n = text.length;
  let i = 0;
  while (true) {
    let value = '';
    if (text.charCodeAt(i) === 34) {
      i++;
      while (true) {
        const q = text.indexOf('"', i);
        if (q === -1) return undefined;
        value += text.slice(i, q);
        if (text.charCodeAt(q + 1) === 34) {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
    }
    const comma = text.indexOf(',', i);
    const end = comma === -1 ? n : comma;
    fields.push(value + text.slice(i, end));
    if (comma === -1) return fields;
    i = comma + 1;
  }
}

/** Split a line on commas, taking the quote-aware path only when the line has a quote (rating rows rarely do). */
export function splitCsvLine(line: string): string[] | undefined {
  return line.includes('"') ? parseCsvRecord(line) : line.split(',');
}
