/* The error codes: unique, stable, consecutive, and named the same on the host and in the kernel. */
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import * as errors from '../../src/errors.ts';
import { errorCodes, errorName } from '../support/errors.ts';
// @ts-expect-error plain ESM tool without type declarations
import { makeHeader } from '../../tools/c-header.mjs';

describe('error codes', () => {
  const entries = Object.entries(errors).filter(([name]) => name.startsWith('ERR_')) as [string, number][];

  it('are unique, 0 for success, then -1, -2, ... without gaps', () => {
    const values = entries.map(([, value]) => value).sort((a, b) => b - a);
    expect(values).toEqual(values.map((_, k) => (k === 0 ? 0 : -k)));
    expect(errors.ERR_NONE).toBe(0);
  });

  it('keep their published numbers (never renumber: kernels log them)', () => {
    expect(errors.ERR_UNALIGNED).toBe(-1);
    expect(errors.ERR_OUT_OF_MEMORY).toBe(-5);
    expect(errors.ERR_DOUBLE_FREE).toBe(-6);
    expect(errors.ERR_SLOT_BUSY).toBe(-15);
    expect(errors.ERR_UNSUPPORTED).toBe(-25);
  });

  it('have names on the host', () => {
    expect(errorName(errors.ERR_DOUBLE_FREE)).toBe('ERR_DOUBLE_FREE');
    expect(errorName(7)).toBe('ok');
    expect(errorName(-999)).toBe('ERR_UNKNOWN(-999)');
    expect(errorCodes().size).toBe(entries.length);
  });

  it('tell codes from page-aligned address halves', () => {
    for (const [, value] of entries) if (value < 0) expect(errors.isErrorCode(value)).toBe(1);
    for (const address of [0, 4096, -4096, 0x80000000 | 0, -0x100000]) expect(errors.isErrorCode(address)).toBe(0);
  });

  it('have the same names in the generated C header', () => {
    // the constants alone: makeHeader wraps exported functions, which need porffor's C
    const source = readFileSync('src/errors.ts', 'utf8').split('\n').filter((line) => line.startsWith('export const ERR_')).join('\n');
    const header: string = makeHeader(source, '');
    for (const [name, value] of entries) expect(header).toContain(`case ${value}: return "${name}";`);
  });
});
