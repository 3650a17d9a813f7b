// Tests for the CSV record splitter.
import { describe, expect, it } from 'vitest';
import { parseCsvRecord, splitCsvLine } from '../../../shared/data/csv';

describe('parseCsvRecord', () => {
  it.each([
    ['a,b,c', ['a', 'b', 'c']],
    ['', ['']],
    ['a,,c,', ['a', '', 'c', '']],
    ['1,"Grumpier Old Men (1995)",Comedy|Romance', ['1', 'Grumpier Old Men (1995)', 'Comedy|Romance']],
    ['11,"American President, The (1995)",Comedy', ['11', 'American President, The (1995)', 'Comedy']],
    ['7789,"11\'09""01 - September 11 (2002)",Drama', ['7789', '11\'09"01 - September 11 (2002)', 'Drama']],
    ['"",x', ['', 'x']],
    ['"a""",b', ['a"', 'b']],
    ['"ab"c,d', ['abc', 'd']],
    ['"multi\nline",x', ['multi\nline', 'x']],
  ])('splits %j', (text, fields) => {
    expect(parseCsvRecord(text)).toEqual(fields);
  });

  it.each(['"open', 'a,"open, still', '"a""'])('reports an unterminated quote in %j as undefined', (text) => {
    expect(parseCsvRecord(text)).toBeUndefined();
  });

  it('splitCsvLine agrees with the full parser on lines without quotes', () => {
    expect(splitCsvLine('1,2,3.5,4')).toEqual(['1', '2', '3.5', '4']);
    expect(splitCsvLine('"1,0",2,3')).toEqual(['1,0', '2', '3']);
  });
});
