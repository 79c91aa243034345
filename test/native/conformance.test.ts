/*
 * porffor i32 conformance: the same restricted-TypeScript source runs under Node (vitest) and as a
 * porffor --valtype=i32 -> C -> gcc hosted executable; every (case, operand) result must be the
 * same int32. The int64 pair helpers (src/int64/pair.ts) are also checked against a BigInt model.
 * Also: the patched porffor refuses i32 division and function values, and prints i32 constants
 * >= 2^31 as their int32 bit patterns; the generated C compiles freestanding for -m32.
 *
 * Run: npx vitest run test/native/conformance.test.ts   (outputs under build/conformance/)
 */
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  PAIR_EXTRA_SOURCE,
  PAIR_SHIFTS_OUT,
  operatorSuite,
  pairCalls,
  pairExtraCalls,
  type Suite,
} from './conformance-cases.js';
import {
  BuildError,
  PROJECT_ROOT,
  buildFreestanding,
  buildHosted,
  porfToC,
  runNode,
  type HostedBuild,
  type Step,
} from './porffor-build.js';

const OUT = join(PROJECT_ROOT, 'build/conformance');
const PAIR_SRC = join(PROJECT_ROOT, 'src/int64/pair.ts');

const isInt32 = (v: unknown): v is number => typeof v === 'number' && Object.is(v, v | 0);

/** Compares native and Node results step by step; returns readable mismatch lines. */
function diff(native: readonly number[], node: readonly unknown[], labels: readonly string[]): string[] {
  const bad: string[] = [];
  for (let k = 0; k < labels.length; k++) {
    const v = node[k];
    if (!isInt32(v)) bad.push(`SUBSET VIOLATION (Node value is not an int32: ${String(v)}; native ${native[k]}): ${labels[k]}`);
    else if (native[k] !== v) bad.push(`native ${native[k]} != Node ${v}: ${labels[k]}`);
  }
  return bad;
}

const importTs = async (file: string): Promise<Record<string, unknown>> =>
  (await import(/* @vite-ignore */ file)) as Record<string, unknown>;

// ---- BigInt reference model of src/int64/pair.ts ----
const u64 = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const halves = (x: bigint): number[] => {
  const v = BigInt.asUintN(64, x);
  return [Number(BigInt.asIntN(32, v)), Number(BigInt.asIntN(32, v >> 32n))];
};
const inShiftRange = (n: number): boolean => n >= 0 && n <= 63;
/** Expected [result] or [lo, pairHi]; null where the operands are outside the documented domain. */
const reference: Record<string, (...a: number[]) => number[] | null> = {
  lessThanU32: (a, b) => [(a >>> 0) < (b >>> 0) ? 1 : 0],
  compareU64: (al, ah, bl, bh) => {
    const a = u64(al, ah);
    const b = u64(bl, bh);
    return [a < b ? -1 : a > b ? 1 : 0];
  },
  returnPair: (lo, hi) => [lo, hi],
  add64: (al, ah, bl, bh) => halves(u64(al, ah) + u64(bl, bh)),
  addCarries64: (al, ah, bl, bh) => [u64(al, ah) + u64(bl, bh) >= 1n << 64n ? 1 : 0],
  sub64: (al, ah, bl, bh) => halves(u64(al, ah) - u64(bl, bh)),
  shiftLeft64: (lo, hi, n) => (inShiftRange(n) ? halves(u64(lo, hi) << BigInt(n)) : null),
  shiftRightU64: (lo, hi, n) => (inShiftRange(n) ? halves(u64(lo, hi) >> BigInt(n)) : null),
  frameToAddress: (f) => halves(BigInt(f >>> 0) << 12n),
  addressToFrame: (lo, hi) => [Number(BigInt.asIntN(32, u64(lo, hi) >> 12n))],
  signExtend64: (lo, hi, bit) => (inShiftRange(bit) ? halves(BigInt.asIntN(bit + 1, u64(lo, hi))) : null),
};

describe('porffor --valtype=i32 conformance (native == Node)', () => {
  let ops: Suite;
  let opsBuild: HostedBuild;
  let pairBuild: HostedBuild;
  const t0 = Date.now();

  beforeAll(async () => {
    await rm(OUT, { recursive: true, force: true });
    await mkdir(join(OUT, 'neg'), { recursive: true });
    ops = operatorSuite();
    await writeFile(join(OUT, 'cases.ts'), ops.source);
    // porffor has no cross-file imports: pair.ts itself (import lines dropped) + generated cases
    const pairSource = (await readFile(PAIR_SRC, 'utf8')).replace(/^import\s[^;]*;\s*$/gm, '');
    await writeFile(join(OUT, 'pair-cases.ts'), pairSource + PAIR_EXTRA_SOURCE);
    [opsBuild, pairBuild] = await Promise.all([
      buildHosted(join(OUT, 'cases.ts')),
      buildHosted(join(OUT, 'pair-cases.ts')),
    ]);
    console.log(`[conformance] porffor + gcc (2 modules, UBSan) took ${Date.now() - t0} ms`);
  }, 180_000);

  it('operators and statements of the subset', async () => {
    const native = await opsBuild.run(ops.steps);
    const node = runNode(await importTs(join(OUT, 'cases.ts')), ops.steps);
    const bad = diff(native, node, ops.labels);
    console.log(
      `[conformance] operators/statements: ${ops.cases.length} case functions, ${ops.steps.length} (case, operand) checks, ${bad.length} mismatches`,
    );
    expect(ops.steps.length).toBeGreaterThanOrEqual(100);
    expect(bad.slice(0, 50), `${bad.length} mismatches`).toEqual([]);
  });

  it('int64 pair helpers: native == Node == BigInt model', async () => {
    const pairSource = await readFile(PAIR_SRC, 'utf8');
    const exportedFns = [...pairSource.matchAll(/^export const (\w+)\s*=/gm)].map((m) => m[1]).sort();
    const calls = pairCalls();
    // every exported function of pair.ts is tested (a new one makes this fail until it is covered)
    expect([...new Set(calls.map((c) => c.fn))].sort()).toEqual(exportedFns);
    expect(Object.keys(reference).sort()).toEqual(exportedFns);

    const steps: Step[] = [];
    const labels: string[] = [];
    for (const c of calls) {
      const text = `${c.fn}(${c.args.join(', ')})`;
      steps.push({ call: c.fn, args: c.args });
      labels.push(text);
      if (c.readsHi) {
        steps.push({ get: 'pairHi' });
        labels.push(`pairHi after ${text}`);
      }
    }
    const extra = pairExtraCalls();
    for (const e of extra) {
      steps.push({ call: e.fn, args: e.args });
      labels.push(`${e.fn}(${e.args.join(', ')})`);
    }
    const native = await pairBuild.run(steps);
    const node = runNode(await importTs(join(OUT, 'pair-cases.ts')), steps);
    const bad = diff(native, node, labels);

    // BigInt model (checked on the Node values, which equal the native ones unless reported above)
    let k = 0;
    let modelChecks = 0;
    for (const c of calls) {
      const got = c.readsHi ? [node[k] as number, node[k + 1] as number] : [node[k] as number];
      const want = reference[c.fn](...c.args);
      if (want !== null) {
        modelChecks++;
        if (got.length !== want.length || got.some((v, j) => v !== want[j])) {
          bad.push(`MODEL: ${labels[k]} gave ${c.readsHi ? `lo ${got[0]}, pairHi ${got[1]}` : got[0]}, BigInt model says ${c.readsHi ? `lo ${want[0]}, pairHi ${want[1]}` : want[0]}`);
        }
      } else if (!PAIR_SHIFTS_OUT.includes(c.args[2])) {
        bad.push(`no model value for ${labels[k]}`);
      }
      k += c.readsHi ? 2 : 1;
    }
    for (const e of extra) {
      if (node[k] !== e.expect) bad.push(`ROUND TRIP: ${labels[k]} gave ${String(node[k])}, expected ${e.expect}`);
      k++;
    }
    console.log(
      `[conformance] int64 pair helpers: ${calls.length} calls + ${extra.length} round trips, ${steps.length} native/Node checks, ${modelChecks} BigInt model checks, ${bad.length} mismatches`,
    );
    expect(bad.slice(0, 50), `${bad.length} mismatches`).toEqual([]);
  });

  it('the same C compiles freestanding for i386 (-m32 -ffreestanding -mgeneral-regs-only)', async () => {
    const objs = await Promise.all([buildFreestanding(opsBuild.cFile), buildFreestanding(pairBuild.cFile)]);
    for (const o of objs) {
      // only the arena that the kernel glue provides; no libc, no libgcc soft-float
      expect(o.undefinedSymbols.filter((s) => s !== '__porf_memory'), o.oFile).toEqual([]);
    }
    // no double arithmetic at all in i32 mode (the patch makes truthiness an i32 test), so the
    // kernel never depends on the optimiser removing floating point
    for (const c of [opsBuild.cFile, pairBuild.cFile]) {
      const floatLines = readFileSync(c, 'utf8').split('\n').filter((l) => /\bf(32|64)\b/.test(l) && !/^typedef/.test(l));
      expect(floatLines, c).toEqual([]);
    }
  }, 60_000);

  describe('the patch refuses what it cannot compile correctly', () => {
    const rejects = async (name: string, source: string, message: RegExp): Promise<void> => {
      const ts = join(OUT, 'neg', `${name}.ts`);
      await writeFile(ts, source);
      const err = await porfToC(ts, join(OUT, 'neg', `${name}.c`)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err, `porffor compiled ${name}.ts`).toBeInstanceOf(BuildError);
      expect((err as BuildError).stage).toBe('porffor');
      expect((err as BuildError).output).toMatch(message);
    };

    it('i32 division is an error', async () => {
      await Promise.all([
        rejects('div_var', 'export const q = (a: number, b: number): number => (a / b) | 0;\n', /i32 division/),
        rejects('div_const', 'export const q = (a: number): number => (a / 4) | 0;\n', /i32 division/),
        rejects('div_bare', 'export const q = (a: number, b: number): number => a / b;\n', /i32 division/),
      ]);
    }, 60_000);

    it('calling a function value is an error', async () => {
      await Promise.all([
        rejects(
          'fnvalue_const',
          'const inc = (a: number): number => (a + 1) | 0;\nexport const app = (a: number): number => { const g = inc; return g(a); };\n',
          /call_indirect/,
        ),
        rejects('fnvalue_param', 'export const app = (f: any, a: number): number => f(a);\n', /call_indirect/),
      ]);
    }, 60_000);
  });

  it('module-level initialisers run, exported or not', async () => {
    // porffor 0.61.13 drops the initialiser of every `export let/const` (codegen.js,
    // ExportNamedDeclaration discards the code generate() returns for the declaration)
    const names = ['p0', 'p1', 'e0', 'e1', 'e2', 'e3', 'e4'];
    const source = [
      'let p0: number = -1;',
      'const p1: number = 0x1234;',
      'export let e0: number = -1;',
      'export let e1: number = 5;',
      'export const e2: number = 0xC0123456 | 0;',
      'export let e3: number = (3 * 7) | 0;',
      'export let e4: number = 0;',
      ...names.map((n) => `export const read_${n} = (): number => ${n};`),
      'export const bumpE1 = (a: number): number => { e1 = (e1 + a) | 0; return e1; };',
      '',
    ].join('\n');
    const ts = join(OUT, 'neg', 'initialisers.ts');
    await writeFile(ts, source);
    const build = await buildHosted(ts);
    const steps: Step[] = [
      ...names.map((n) => ({ call: `read_${n}`, args: [] })),
      ...names.filter((n) => n.startsWith('e')).map((n) => ({ get: n })),
      { call: 'bumpE1', args: [10] },
      { get: 'e1' },
    ];
    const labels = steps.map((s) => {
      const line = (n: string): string => source.split('\n').find((l) => new RegExp(`^(export )?(let|const) ${n}:`).test(l)) ?? n;
      return 'get' in s ? `read of global: ${line(s.get)}` : s.call.startsWith('read_') ? `${s.call}() for: ${line(s.call.slice(5))}` : `${s.call}(${s.args.join(', ')})`;
    });
    const bad = diff(await build.run(steps), runNode(await importTs(ts), steps), labels);
    expect(bad, `${bad.length} mismatches (see ${build.cFile}: main must assign every initialiser)`).toEqual([]);
  }, 60_000);

  it('i32 constants >= 2^31 are printed as their int32 bit patterns', async () => {
    const source = [
      'export const k0 = (): number => 0xC0123456 | 0;',
      'export const k1 = (): number => 0x80000000 | 0;',
      'export const k2 = (): number => 0xFFFFFFFF | 0;',
      'export const k3 = (): number => 2147483648 | 0;',
      'export const k4 = (a: number): number => a ^ 0xDEADBEEF;',
      'export const k5 = (): number => -2147483648;',
      '',
    ].join('\n');
    const ts = join(OUT, 'neg', 'constants.ts');
    await writeFile(ts, source);
    const build = await buildHosted(ts);
    const c = await readFile(build.cFile, 'utf8');
    const body = c.slice(c.search(/^i32 k0\(/m));
    for (const lit of ['-1072548778', '(-2147483647 - 1)', '-559038737']) expect(body).toContain(lit);
    expect(body).not.toMatch(/\b(3222491222|2147483648|4294967295|3735928559)\b/);
    expect(body).toMatch(/^i32 k2\(\) \{\s*return -1 \| 0;/m);
    const steps: Step[] = ['k0', 'k1', 'k2', 'k3', 'k5'].map((f) => ({ call: f, args: [] }));
    steps.push({ call: 'k4', args: [0] }, { call: 'k4', args: [-1] });
    const native = await build.run(steps);
    expect(native).toEqual([-1072548778, -2147483648, -1, -2147483648, -2147483648, -559038737, 559038736]);
    expect(runNode(await importTs(ts), steps)).toEqual(native);
    console.log(`[conformance] whole file took ${Date.now() - t0} ms`);
  }, 60_000);
});
