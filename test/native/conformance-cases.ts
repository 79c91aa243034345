/*
 * Case generator of the porffor i32 conformance test.
 *
 * Each case is one exported arrow function in the restricted TypeScript subset, plus the operand
 * tuples it runs with. The generated module is compiled by porffor to C and imported by Node, so
 * the very same source runs in both; the test compares every result as an int32.
 */
import type { Step } from './porffor-build.js';

export interface Case {
  name: string;
  /** Parameter count (parameters are named a, b, c). */
  arity: number;
  /** The TypeScript text of the function (for reports). */
  text: string;
  operands: number[][];
}

export interface Suite {
  /** The generated TypeScript module. */
  source: string;
  cases: Case[];
  /** Every (case, operand) call, in the order both sides run them. */
  steps: Step[];
  /** For each step: the case and operands, for mismatch reports. */
  labels: string[];
}

export const INT32_MAX = 0x7fffffff;
export const INT32_MIN = -0x80000000;

/** Deterministic edge operands: 0, ±1, limits, all-ones (-1), shift-count-like values, patterns. */
export const EDGE: readonly number[] = [
  0, 1, -1, 2, -2, 3, 7, 31, 32, 33, 255, 4096, 65535, 65536, -65536,
  INT32_MAX, INT32_MAX - 1, INT32_MIN, INT32_MIN + 1,
  0x55555555, 0xaaaaaaaa | 0, 0x12345678, -123456789,
];

/** Shift counts: 0, 1, 31, 32, 33 and other counts that JS masks to 5 bits. */
export const SHIFTS: readonly number[] = [0, 1, 2, 15, 16, 31, 32, 33, 63, 64, 65, -1, -31, -32, 100];

/** A small edge set for 3-operand cases. */
export const EDGE3: readonly number[] = [0, 1, -1, 5, INT32_MAX, INT32_MIN];

/** Seeded PRNG (mulberry32), yielding int32 values of random bit widths (so small ones are common). */
export function prng(seed: number): () => number {
  let s = seed | 0;
  const next = (): number => {
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) | 0;
  };
  return () => {
    const width = (next() >>> 0) % 33; // 0..32 significant bits
    const v = width === 32 ? next() : (next() & (2 ** width - 1)) | 0;
    return next() & 1 ? v : (-v | 0);
  };
}

const cross = (xs: readonly number[], ys: readonly number[]): number[][] => xs.flatMap((x) => ys.map((y) => [x, y]));
const cross3 = (xs: readonly number[]): number[][] => xs.flatMap((x) => xs.flatMap((y) => xs.map((z) => [x, y, z])));
const range = (lo: number, hi: number): number[] => Array.from({ length: hi - lo + 1 }, (_, k) => lo + k);

/** |a * b| < 2^53: the JS product is exact, so `(a * b) | 0` is its low 32 bits (as i32 mul). */
export const productIsExact = (a: number, b: number): boolean => Math.abs(a * b) < 2 ** 53;

/** Builds the operator/statement suite. */
export function operatorSuite(seed = 20240607, randomPerCase = 48): Suite {
  const rnd = prng(seed);
  const randoms = (n: number, arity: number, pick: () => number = rnd): number[][] =>
    Array.from({ length: n }, () => Array.from({ length: arity }, pick));
  const rndShift = (): number => SHIFTS[(rnd() >>> 0) % SHIFTS.length] ^ ((rnd() & 1) * 64 * (rnd() & 1));

  const cases: Case[] = [];
  const decls: string[] = [];
  const params = ['a', 'b', 'c'];
  const add = (tag: string, arity: number, body: string, operands: number[][]): void => {
    const name = `c${String(cases.length).padStart(3, '0')}_${tag}`;
    const sig = params.slice(0, arity).map((p) => `${p}: number`).join(', ');
    const text = body.trimStart().startsWith('{')
      ? `export const ${name} = (${sig}): number => ${body.trim()};`
      : `export const ${name} = (${sig}): number => (${body});`;
    decls.push(text);
    cases.push({ name, arity, text, operands });
  };

  const bin = cross(EDGE, EDGE);
  const un = EDGE.map((x) => [x]);
  const binR = (): number[][] => [...bin, ...randoms(randomPerCase, 2)];
  const unR = (): number[][] => [...un, ...randoms(randomPerCase, 1)];
  const shiftOps = (): number[][] => [...cross(EDGE, SHIFTS), ...randoms(randomPerCase, 2).map(([x]) => [x, rndShift()])];
  const tri = (): number[][] => [...cross3(EDGE3), ...randoms(randomPerCase, 3)];
  const small = cross(range(-1, 12), range(-1, 12)); // loop counts around the unroll factor
  const smallR = (): number[][] => [...small, ...randoms(16, 2)];

  // ---- binary arithmetic (|0 after + - *, as the subset requires) ----
  add('add', 2, '(a + b) | 0', binR());
  add('sub', 2, '(a - b) | 0', binR());
  add('add3', 3, '(a + b + c) | 0', tri());
  add('subadd', 3, '((a - b) | 0) + c | 0', tri());
  const mulOps = binR().filter(([a, b]) => productIsExact(a, b));
  add('mul', 2, '(a * b) | 0', mulOps);
  add('mul_k4096', 1, '(a * 4096) | 0', unR());
  add('mul_kneg3', 1, '(a * -3) | 0', unR());
  add('mul_kbig', 1, '(a * 1000003) | 0', unR());
  add('mul_mask20', 2, '(a * (b & 0xfffff)) | 0', binR());
  add('mul_lo16', 2, '((a & 0xffff) * (b & 0xffff)) | 0', binR());
  add('mul_add', 3, '((a * 3) + (b & 0xffff) * 5 + c) | 0', tri());
  add('mul_sq', 1, '((a >> 8) * (a >> 8)) | 0', unR());
  add('mul_chain', 2, '(((a * 31) | 0) * 17 + b) | 0', binR());
  add('rem', 2, '(a % b) | 0', binR()); // includes the divisors 0 and -1 (total % then |0)
  add('rem_k7', 1, '(a % 7) | 0', unR());
  add('rem_kneg4096', 1, '(a % -4096) | 0', unR());
  add('rem_k1', 1, '(a % 1) | 0', unR());
  add('rem_kmin', 1, '(a % -2147483648) | 0', unR());
  add('rem_kmax', 1, '(a % 2147483647) | 0', unR());

  // ---- bitwise and shifts ----
  add('or', 2, 'a | b', binR());
  add('and', 2, 'a & b', binR());
  add('xor', 2, 'a ^ b', binR());
  add('shl', 2, 'a << b', shiftOps());
  add('sar', 2, 'a >> b', shiftOps());
  add('shr', 2, '(a >>> b) | 0', shiftOps());
  for (const k of [0, 1, 31, 32, 33]) {
    add(`shl_k${k}`, 1, `a << ${k}`, unR());
    add(`sar_k${k}`, 1, `a >> ${k}`, unR());
    add(`shr_k${k}`, 1, `(a >>> ${k}) | 0`, unR());
  }
  add('shr_k1_bare', 1, 'a >>> 1', unR()); // < 2^31 for every a: no |0 needed
  add('shr_k12_mask', 1, '(a >>> 12) & 0xfffff', unR());
  add('shr_chain', 2, '((a >>> (b & 31)) << (b & 31)) ^ a', binR());
  add('shl_var_sum', 3, '(a << (b + c)) | 0', tri());
  // constants >= 2^31 in bitwise operations (ToInt32 of the literal on both sides)
  add('xor_kC012', 1, 'a ^ 0xC0123456', unR());
  add('and_kFFFF0000', 1, 'a & 0xFFFF0000', unR());
  add('or_kFFFFFFFF', 1, 'a | 0xFFFFFFFF', unR());
  add('add_k80000000', 1, '(a + 0x80000000) | 0', unR());
  add('shr_kC012', 1, '(a ^ 0xC0123456) >>> 22', unR());
  add('const_min', 1, '(a & 0) | -2147483648', un);
  add('const_big', 1, '(a & 0) | 0xDEADBEEF', un);

  // ---- constant expressions (whatever porffor folds at compile time must fold like JS) ----
  const folds = [
    '(0x7fffffff + 1) | 0', '(-2147483648 - 1) | 0', '(65536 * 65536) | 0', '(0x12345 * 0x54321) | 0',
    '(-7 % 3) | 0', '(7 % -3) | 0', '(-2147483648 % -1) | 0', '(5 % 0) | 0', '1 << 31', '1 << 32', '1 << 33',
    '-1 >> 31', '(-1 >>> 28) | 0', '(-1 >>> 0) | 0', '(-1 >>> 32) | 0', '~0', '-(-2147483648) | 0',
    '!0 ? 1 : 0', '3 && 4', '0 || 9', '0 && 4', '-3 < -2 ? 1 : 0', '(2147483647 * 3) | 0', '0xFFFFFFFF >> 4',
  ];
  folds.forEach((e, k) => add(`fold${k}`, 0, e, [[]]));

  // ---- unary ----
  add('bnot', 1, '~a', unR());
  add('bnot2', 1, '~~a', unR());
  add('neg', 1, '-a | 0', unR());
  add('neg_sar', 1, '(-a) >> 1', unR());
  add('neg_bnot', 1, '-(~a) | 0', unR());
  add('lnot', 1, '!a ? 1 : 0', unR());
  add('lnot2', 1, '!!a ? 1 : 0', unR());
  add('lnot_expr', 2, '!(a & b) ? 3 : -3', binR());

  // ---- comparisons (as values via ternary, and as conditions) ----
  for (const [tag, op] of [['lt', '<'], ['le', '<='], ['gt', '>'], ['ge', '>='], ['eq', '==='], ['ne', '!==']]) {
    add(`cmp_${tag}`, 2, `a ${op} b ? 1 : 0`, binR());
  }
  add('cmp_if_le', 2, '{ if (a <= b) { return 11; } return -11; }', binR());
  add('cmp_if_else', 2, '{ if (a > b) { return a; } else if (a === b) { return 0; } else { return b; } }', binR());
  add('cmp_shifted', 2, '(a >>> 1) < (b >>> 1) ? 1 : 0', binR());
  add('cmp_sign_flip', 2, '(a ^ -2147483648) < (b ^ -2147483648) ? 1 : 0', binR()); // unsigned a < b

  // ---- logical && || with number operands, ternary ----
  add('land_if', 2, '{ if (a && b) { return 1; } return 0; }', binR());
  add('lor_if', 2, '{ if (a || b) { return 1; } return 0; }', binR());
  add('land_val', 2, '(a && b) | 0', binR());
  add('lor_val', 2, '(a || b) | 0', binR());
  add('land_bare', 2, 'a && b', binR());
  add('lor_bare', 2, 'a || b', binR());
  add('lor_tern', 2, '(a || b) ? 7 : 9', binR());
  add('logic_mix', 3, '{ if ((a > 0 && b > 0) || c < -1) { return 1; } if (!a || (b & c)) { return 2; } return 3; }', tri());
  add('logic_chain', 3, '(a < b && b < c) || (a > b && b > c) ? 1 : 0', tri());
  add('land_and_shortcut', 2, '{ let x: number = 0; if (a !== 0 && (x = (b % a) | 0) !== 0) { return x; } return -7; }', binR());
  add('tern_min', 2, 'a < b ? a : b', binR());
  add('tern_sign', 1, 'a < 0 ? -1 : a > 0 ? 1 : 0', unR());
  add('tern_nested', 3, 'a ? (b ? c : -c | 0) : (c ? b : a)', tri());

  // ---- compound assignment, ++/-- ----
  add('compound', 2,
    '{ let x: number = a; x += b; x |= 0; x -= 3; x |= 0; x ^= b; x <<= 3; x >>= 1; x >>>= 2; x &= 0x3fffffff; x %= 1000; x |= 0; return x; }',
    binR());
  add('incdec', 1, '{ let x: number = a; x++; x = x | 0; x--; x = x | 0; --x; x = x | 0; ++x; return x | 0; }', unR());
  add('mulassign', 2, '{ let x: number = a & 0xffff; x *= (b & 0xffff); x = x | 0; return x; }', binR());

  // ---- statements: if/else, loops (porffor unrolls loops), early return ----
  add('if_chain', 1,
    '{ if (a < -1000) { return -2; } else if (a < 0) { return -1; } else if (a === 0) { return 0; } else if (a < 1000) { return 1; } else { return 2; } }',
    unR());
  add('for_sum', 1, '{ let s: number = 0; for (let i: number = 0; i < (a & 15); i++) { s = (s + i * i) | 0; } return s; }', unR());
  add('for_break', 2,
    '{ let s: number = 0; for (let i: number = 0; i < (a & 15); i++) { if (i === b) { break; } s = (s * 3 + i + 1) | 0; } return s; }',
    smallR());
  add('for_continue', 2,
    '{ let s: number = 0; for (let i: number = 0; i < (a & 15); i++) { if ((i & 3) === (b & 3)) { continue; } s = (s * 5 + i) | 0; } return s; }',
    smallR());
  add('for_break_continue', 2,
    '{ let s: number = 0; for (let i: number = 0; i < 13; i++) { if (i === a) { continue; } if (i > b) { break; } s = (s * 7 + i) | 0; } return (s * 16 + 0) | 0; }',
    smallR());
  add('for_down', 2,
    '{ let s: number = 0; for (let i: number = (a & 15); i > 0; i--) { if (i === b) { continue; } s = (s * 3 + i) | 0; } return s; }',
    smallR());
  add('for_step3', 2,
    '{ let s: number = 0; for (let i: number = b & 3; i < (a & 31); i += 3) { s = (s ^ (i << (i & 7))) | 0; } return s; }',
    smallR());
  add('for_ever', 2,
    '{ let i: number = 0; for (;;) { if (i >= (a & 15) || i === b) { break; } i++; } return i; }',
    smallR());
  add('for_return', 2,
    '{ for (let i: number = 0; i < 32; i++) { if (((a >>> i) & 1) === 1) { return (i * 100 + b) | 0; } } return -1; }',
    binR());
  add('while_popcount', 1, '{ let x: number = a; let n: number = 0; while (x !== 0) { x = x & (x - 1); n = (n + 1) | 0; } return n; }', unR());
  add('while_clz', 1, '{ let n: number = 0; while (n < 32 && ((a << n) & -2147483648) === 0) { n++; } return n; }', unR());
  add('while_gcd', 2, '{ let x: number = a; let y: number = b; while (y !== 0) { const t: number = (x % y) | 0; x = y; y = t; } return x; }', binR());
  add('while_break_continue', 2,
    '{ let i: number = 0; let s: number = 0; while (i < 20) { i++; if (i === (a & 31)) { break; } if ((i % 3) === (b & 3)) { continue; } s = (s * 2 + i) | 0; } return (s + i * 1000) | 0; }',
    smallR());
  add('while_early_return', 2,
    '{ let i: number = a & 15; while (i < 40) { if (i === b) { return (-i) | 0; } i = (i + 1) | 0; } return 99; }',
    smallR());
  add('nested', 2,
    '{ let s: number = 0; for (let i: number = 0; i < (a & 7); i++) { for (let j: number = 0; j < (b & 7); j++) { if (j > i) { break; } if (((i + j) & 1) === 1) { continue; } s = (s * 11 + i * 8 + j) | 0; } } return s; }',
    smallR());
  add('nested_while_for', 2,
    '{ let s: number = 0; let i: number = 0; while (i < (a & 15)) { i++; if (i === 5) { continue; } for (let j: number = i; j < 9; j++) { if (j === (b & 15)) { break; } s = (s + (i ^ j)) | 0; } if (s > 200) { break; } } return (s * 100 + i) | 0; }',
    smallR());
  add('nested_return', 3,
    '{ for (let i: number = 0; i < 6; i++) { for (let j: number = 0; j < 6; j++) { if (((i * 6 + j) | 0) === (c & 63)) { return (i * 10 + j + a - b) | 0; } } } return -1; }',
    [...tri(), ...range(0, 40).map((k) => [k, (-k) | 0, k])]);

  // ---- module-level let/const, calls between functions ----
  decls.push(
    '',
    '// module state and helpers (not cases themselves)',
    'const MASK12: number = 0xfff;',
    'const SIGN: number = -2147483648;',
    'let counter: number = (12345 * 31) | 0;',
    'let lastHi: number = 0;',
    // initialiser 0: a non-zero initialiser of an exported let is lost (see the initialiser test)
    'export let exported: number = 0;',
    'const sq16 = (x: number): number => ((x & 0xffff) * (x & 0xffff)) | 0;',
    'const ltU = (x: number, y: number): number => ((x ^ SIGN) < (y ^ SIGN) ? 1 : 0);',
    'const clamp = (x: number, lo: number, hi: number): number => { if (x < lo) { return lo; } if (x > hi) { return hi; } return x; };',
    // unsigned 32x32 -> 64 multiply through 16-bit halves (the subset form of a wide product)
    'const mulU64 = (x: number, y: number): number => {',
    '  const x0: number = x & 0xffff; const x1: number = x >>> 16;',
    '  const y0: number = y & 0xffff; const y1: number = y >>> 16;',
    '  const p00: number = (x0 * y0) | 0; const p01: number = (x0 * y1) | 0;',
    '  const p10: number = (x1 * y0) | 0; const p11: number = (x1 * y1) | 0;',
    '  const mid: number = ((p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff)) | 0;',
    '  lastHi = (p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16)) | 0;',
    '  return (p00 & 0xffff) | (mid << 16);',
    '};',
    'const fib = (n: number): number => (n < 2 ? n : (fib(n - 1) + fib(n - 2)) | 0);',
    '',
  );
  add('call_sq', 2, '(sq16(a) + sq16(b)) | 0', binR());
  add('call_ltu', 2, 'ltU(a, b)', binR());
  add('call_clamp', 3, 'clamp(a, b < c ? b : c, b < c ? c : b)', tri());
  add('call_mulu64_lo', 2, 'mulU64(a, b)', binR());
  add('call_mulu64_hi', 2, '{ mulU64(a, b); return lastHi; }', binR());
  add('call_recursive', 1, 'fib(a & 15)', [...range(-2, 17).map((k) => [k]), ...randoms(8, 1)]);
  add('call_nested', 2, 'clamp(sq16(a) ^ ltU(a, b), -1000, sq16(b) & MASK12)', binR());
  // stateful: both sides make the same calls in the same order
  add('state_bump', 1, '{ counter = (counter * 33 + a) | 0; return counter; }', unR());
  add('state_read', 0, 'counter', [[], []]);
  add('state_export', 1, '{ exported = (exported ^ a) + 1 | 0; return (exported << 1) | 0; }', unR());

  decls.unshift(
    '/* Generated by test/native/conformance-cases.ts: porffor i32 conformance cases. Do not edit. */',
    '',
  );
  const steps: Step[] = [];
  const labels: string[] = [];
  for (const k of cases) {
    for (const ops of k.operands) {
      steps.push({ call: k.name, args: ops });
      labels.push(`${k.text}  with (${ops.join(', ')})`);
    }
    if (k.name.endsWith('state_export')) {
      steps.push({ get: 'exported' });
      labels.push('export let exported (read after state_export)');
    }
  }
  return { source: decls.join('\n') + '\n', cases, steps, labels };
}

// ---- int64 pair helpers (src/int64/pair.ts) ----

/** 64-bit values as [lo, hi] pairs: zero, ones, carries/borrows across the halves, sign bits. */
export const PAIRS: readonly (readonly [number, number])[] = [
  [0, 0], [1, 0], [-1, 0], [0, 1], [-1, -1], [1, -1], [-1, INT32_MAX], [0, INT32_MIN],
  [INT32_MAX, 0], [INT32_MIN, 0], [INT32_MAX, INT32_MAX], [INT32_MIN, INT32_MIN], [-1, 1],
  [0x12345678, 0x9abcdef0 | 0], [0, 0x8000], [-1, 0x7fff], [0, 0xffff8000 | 0], [-1, 0x00ff],
  [0, 0x0100], [0x80000000 | 0, 0x7fffffff], [-4096, -1], [0x1000, 0], [-2, -1], [2, 0],
];

/** 32-bit operands of the pair helpers. */
export const WORDS: readonly number[] = [
  0, 1, -1, 2, INT32_MAX, INT32_MIN, INT32_MIN + 1, 0xfff, 0x1000, -4096, 0x55555555, 0xaaaaaaaa | 0, 0x000fffff, 0x00100000,
];

/** Shift counts for the 64-bit shifts: the documented range 0..63 ... */
export const PAIR_SHIFTS: readonly number[] = [0, 1, 2, 12, 20, 31, 32, 33, 44, 47, 48, 62, 63];
/** ... and counts outside it (compared native == Node only; the helpers mask with & 63). */
export const PAIR_SHIFTS_OUT: readonly number[] = [64, 65, 96, 127, -1, -32];
/** Sign-extension bits (canonical 48-bit and 57-bit addresses, 32-bit boundaries). */
export const SIGN_BITS: readonly number[] = [0, 1, 11, 30, 31, 32, 33, 46, 47, 48, 55, 56, 57, 62, 63];

export interface PairCall {
  fn: string;
  args: number[];
  /** Whether the function leaves a high half in pairHi (read right after the call). */
  readsHi: boolean;
}

/** The exported functions of pair.ts that return a 64-bit value (low half + pairHi). */
export const PAIR_RESULT_FNS = new Set(['returnPair', 'add64', 'sub64', 'shiftLeft64', 'shiftRightU64', 'frameToAddress', 'signExtend64']);

/** All calls of the pair test: every exported function with edge and seeded random operands. */
export function pairCalls(seed = 64064, randomPerFn = 96): PairCall[] {
  const rnd = prng(seed);
  const rndPair = (): [number, number] => {
    const p = (rnd() & 3) === 0 ? PAIRS[(rnd() >>> 0) % PAIRS.length] : [rnd(), rnd()];
    return [p[0], p[1]];
  };
  const calls: PairCall[] = [];
  const push = (fn: string, args: number[]): void => {
    calls.push({ fn, args, readsHi: PAIR_RESULT_FNS.has(fn) });
  };
  const pairPairs: number[][] = [
    ...PAIRS.flatMap((x) => PAIRS.map((y) => [...x, ...y])),
    ...Array.from({ length: randomPerFn }, () => [...rndPair(), ...rndPair()]),
  ];
  for (const fn of ['compareU64', 'add64', 'addCarries64', 'sub64']) for (const args of pairPairs) push(fn, args);
  // carries/borrows: b = -a, a + b = 2^64 - 1 (+1), equal pairs
  for (const [lo, hi] of PAIRS) {
    push('add64', [lo, hi, ~lo, ~hi]);
    push('add64', [lo, hi, (-lo) | 0, ~hi + (lo === 0 ? 1 : 0) | 0]);
    push('addCarries64', [lo, hi, ~lo, ~hi]);
    push('addCarries64', [lo, hi, (-lo) | 0, (~hi + (lo === 0 ? 1 : 0)) | 0]);
    push('sub64', [lo, hi, lo, hi]);
    push('compareU64', [lo, hi, lo, hi]);
  }
  for (const a of WORDS) for (const b of WORDS) push('lessThanU32', [a, b]);
  for (let k = 0; k < randomPerFn; k++) push('lessThanU32', [rnd(), rnd()]);
  for (const fn of ['shiftLeft64', 'shiftRightU64']) {
    for (const p of PAIRS) for (const n of [...PAIR_SHIFTS, ...PAIR_SHIFTS_OUT]) push(fn, [...p, n]);
    for (let k = 0; k < randomPerFn; k++) push(fn, [...rndPair(), (rnd() >>> 0) % 64]);
  }
  for (const p of PAIRS) for (const n of SIGN_BITS) push('signExtend64', [...p, n]);
  for (let k = 0; k < randomPerFn; k++) push('signExtend64', [...rndPair(), (rnd() >>> 0) % 64]);
  for (const w of WORDS) push('frameToAddress', [w]);
  for (let k = 0; k < randomPerFn; k++) push('frameToAddress', [rnd()]);
  for (const p of PAIRS) push('returnPair', [...p]);
  for (const p of PAIRS) push('addressToFrame', [...p]);
  for (let k = 0; k < randomPerFn; k++) push('addressToFrame', [...rndPair()]);
  return calls;
}

/**
 * Extra generated functions appended to pair.ts: round trips through several helpers, which
 * exercise pairHi being read right after each call inside compiled code (should all return 0).
 */
export const PAIR_EXTRA_SOURCE = `
// ---- generated by test/native/conformance-cases.ts: round trips (each returns 0 when correct) ----
export const rtAddSub = (aLo: number, aHi: number, bLo: number, bHi: number): number => {
  const lo: number = add64(aLo, aHi, bLo, bHi);
  const hi: number = pairHi;
  const lo2: number = sub64(lo, hi, bLo, bHi);
  return (lo2 ^ aLo) | (pairHi ^ aHi);
};
export const rtShift = (lo: number, hi: number, n: number): number => {
  const k: number = n & 31;
  const l1: number = shiftLeft64(lo, hi & (-1 >>> k | 0), k);
  const h1: number = pairHi;
  const l2: number = shiftRightU64(l1, h1, k);
  return (l2 ^ lo) | (pairHi ^ (hi & (-1 >>> k | 0)));
};
export const rtFrame = (frame: number): number => {
  const lo: number = frameToAddress(frame);
  return (addressToFrame(lo, pairHi) ^ frame) | 0;
};
export const rtCompare = (aLo: number, aHi: number, bLo: number, bHi: number): number => {
  const c: number = compareU64(aLo, aHi, bLo, bHi);
  const lo: number = sub64(aLo, aHi, bLo, bHi);
  const zero: number = lo === 0 && pairHi === 0 ? 1 : 0;
  if (zero === 1) return c;
  return c === (addCarries64(lo, pairHi, bLo, bHi) === 1 ? -1 : 1) ? 1 : 0;
};
`;

/** Operands of the round-trip functions and what they return when the helpers are right. */
export function pairExtraCalls(): { fn: string; args: number[]; expect: number }[] {
  const out: { fn: string; args: number[]; expect: number }[] = [];
  for (const x of PAIRS) for (const y of PAIRS) {
    out.push({ fn: 'rtAddSub', args: [...x, ...y], expect: 0 });
    // rtCompare: (a - b) + b carries out of bit 63 exactly when a < b; 1 when consistent, 0 when equal
    out.push({ fn: 'rtCompare', args: [...x, ...y], expect: x[0] === y[0] && x[1] === y[1] ? 0 : 1 });
  }
  for (const p of PAIRS) for (const n of [0, 1, 12, 31, 32, 33]) out.push({ fn: 'rtShift', args: [...p, n], expect: 0 });
  for (const w of WORDS) out.push({ fn: 'rtFrame', args: [w], expect: 0 });
  return out;
}
