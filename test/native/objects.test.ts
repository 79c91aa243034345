/*
 * What the compiled TypeScript may contain: `make kernels` built build/<arch>/mm.o and the kernels.
 * The objects may only need symbols the project's own glue defines (no libc, no porffor runtime),
 * the kernels link with nothing undefined, and there is no floating point (x87 or SSE) anywhere in
 * the TypeScript's code - i32 mode keeps every value an int32.
 */
import { describe, expect, it } from 'vitest';
import { readFileSync, existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { execaSync } from 'execa';

const GLUE_HEADER = 'boot/common/glue.h';
const glueSymbols = new Set([...readFileSync(GLUE_HEADER, 'utf8').matchAll(/\b((?:glue|kernel|report|serial)_\w+)\s*\(/g)].map((m) => m[1]));

const undefinedSymbols = (object: string): string[] =>
  execaSync('nm', ['-u', object]).stdout.split('\n').map((line) => line.trim().split(/\s+/).pop() ?? '').filter(Boolean);

// objdump -d lines are "address:<TAB>bytes<TAB>mnemonic operands". x87 mnemonics start with f (fld,
// fstp, fadd, fild, fnstcw...); SSE/AVX use scalar/packed float forms or name xmm/ymm/zmm registers.
const X87_OR_SSE_MNEMONIC_RE = /^(f[a-z0-9]+|cvt\w+|(?:mov|add|sub|mul|div|sqrt|min|max|ucomi|comi)(?:ss|sd|ps|pd)|movap[sd]|movup[sd]|emms|ldmxcsr|stmxcsr|fxsave\w*|fxrstor\w*)$/;
const isFloatInstruction = (line: string): boolean => {
  const instruction = line.split('\t')[2]?.trim() ?? '';
  const [mnemonic = '', operands = ''] = instruction.split(/\s+/, 2);
  return X87_OR_SSE_MNEMONIC_RE.test(mnemonic) || /%[xyz]mm\d|%st\b/.test(operands);
};


describe('float instruction detector', () => {
  it('finds SSE in a C function that uses double, and x87 in its -m32 build', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsmm-float-'));
    writeFileSync(join(dir, 'f.c'), 'double half(double x) { return x * 0.5; }\n');
    for (const [flag, expected] of [['-m64', /xmm/], ['-m32', /\tf(ld|mul)/]] as const) {
      execaSync('gcc', [flag, '-O2', '-ffreestanding', '-c', join(dir, 'f.c'), '-o', join(dir, 'f.o')]);
      const found = execaSync('objdump', ['-d', join(dir, 'f.o')]).stdout.split('\n').filter(isFloatInstruction);
      expect(found.join('\n')).toMatch(expected);
    }
  });
});

describe.each(['i386', 'x86-64'])('%s objects', (arch) => {
  const mmObject = `build/${arch}/mm.o`;
  const kernel = `build/${arch}/kernel.elf`;

  it('mm.o needs only symbols the glue defines', () => {
    expect(existsSync(mmObject), `${mmObject} missing: run make kernels`).toBe(true);
    const needed = undefinedSymbols(mmObject);
    expect(needed.length).toBeGreaterThan(0);
    expect(needed.filter((symbol) => !glueSymbols.has(symbol))).toEqual([]);
  });

  it('the kernel links without libc: nothing is left undefined', () => {
    expect(undefinedSymbols(kernel)).toEqual([]);
  });

  it('mm.o has no x87 or SSE instruction', () => {
    const disassembly = execaSync('objdump', ['-d', mmObject]).stdout;
    expect(disassembly.split('\n').length).toBeGreaterThan(100);
    const floating = disassembly.split('\n').filter(isFloatInstruction);
    expect(floating).toEqual([]);
  });
});
