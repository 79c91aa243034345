/*
 * Native == Node for the free-virtual-space index: the index's bundle (src/region/virtual-space*.ts)
 * compiled by porffor to C (hosted, on the flat machine of test/native/hosted/) and the same
 * source in Node (on the flat machine's twin) run one long pseudo-random sequence of operations,
 * and every result must be identical - return values, the high halves left in pairHi, the
 * invariant checker's verdicts, the full range lists, the pool's raw words at the end and the
 * number of memory reads and writes. This is what shows that porffor compiles the tree's 64-bit
 * pair arithmetic, tag packing and iterative AVL code as Node runs them.
 *
 * The sequence is data, built before either side runs: a generator drives its own instance of the
 * same modules (on its own flat machine) so that it can aim operations at what is really free or
 * allocated (reserve what a find returned, release allocated holes, ...), and records each call
 * as a step. The pool sits at a linear address with a non-zero high half (a direct map at
 * 0xFFFF8000_00000000, folded by the flat machine), ending exactly at a 4 GiB boundary.
 */
import { describe, expect, it } from 'vitest';
import { pairHi } from '../../src/int64/pair.ts';
import { installMachine } from '../../src/port/port.ts';
import * as check from '../../src/region/virtual-space-check.ts';
import * as pool from '../../src/region/virtual-space-pool.ts';
import * as space from '../../src/region/virtual-space.ts';
import { FlatMachine } from '../support/flat-machine.ts';
import { buildBundleHosted, loadBundleNode } from './bundle-build.ts';
import type { Step } from './porffor-build.ts';

const ENTRIES = ['src/region/virtual-space.ts', 'src/region/virtual-space-pool.ts', 'src/region/virtual-space-check.ts', 'src/int64/pair.ts'];
const FOLD_HI = -0x8000;

/** A small deterministic PRNG (the sequence must be the same on both sides: it is data). */
const prng = (seed: number): ((n: number) => number) => {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * n);
  };
};

const PAGE = 4096n;
const TOP = 1n << 64n;
const lo = (a: bigint): number => Number(BigInt.asIntN(32, a));
const hi = (a: bigint): number => Number(BigInt.asIntN(32, a >> 32n));
const big = (l: number, h: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);

const functions: Record<string, (...args: number[]) => number> = {
  ...(space as unknown as Record<string, (...args: number[]) => number>),
  ...(pool as unknown as Record<string, (...args: number[]) => number>),
  ...(check as unknown as Record<string, (...args: number[]) => number>),
};

/** Records steps while running them on the generator's own instance. */
class Recorder {
  readonly steps: Step[] = [];
  call(name: string, ...args: number[]): number {
    const f = functions[name];
    if (typeof f !== 'function') throw new Error(`no function ${name}`);
    this.steps.push({ call: name, args });
    return f(...args);
  }
  /** A call whose result may be an address: also records pairHi; returns the address or the error. */
  call64(name: string, ...args: number[]): bigint | number {
    const r = this.call(name, ...args);
    const h = pairHi;
    this.steps.push({ get: 'pairHi' });
    return (r & 4095) !== 0 ? r : big(r, h);
  }
  control(name: string, ...args: number[]): void {
    this.steps.push({ call: name, args });
  }
}

interface SpaceSpec {
  start: bigint;
  end: bigint; // 0 = 2^64
  zones: bigint[];
}

const SPACES: SpaceSpec[] = [
  { start: 0xffff_8000_0000_0000n, end: 0n, zones: [0xffff_8000_0000_0000n, 0xffff_8001_0000_0000n - 64n * PAGE, TOP - 256n * PAGE] },
  { start: 0x1000n, end: 0x8000_0000_0000n, zones: [0n, 0x1_0000_0000n - 64n * PAGE, 0x7fff_8000_0000n, 0x8000_0000n - 8n * PAGE] },
  { start: 0xffff_0000n, end: 0x1_0001_0000n, zones: [0xffff_0000n - 2n * PAGE] },
  { start: 0n, end: 0n, zones: [0n, TOP - 128n * PAGE, 0x8000_0000_0000_0000n - 64n * PAGE] },
];

/** The free ranges of a space, through the iterator (recorded: the lists must agree too). */
const listRanges = (rec: Recorder, h: number): Array<[bigint, bigint]> => {
  const out: Array<[bigint, bigint]> = [];
  let r = rec.call64('virtualSpaceFirstRange', h);
  while (typeof r === 'bigint') {
    const end = rec.call64('virtualSpaceRangeEnd', h, lo(r), hi(r));
    if (typeof end !== 'bigint') throw new Error(`range end: ${end}`);
    out.push([r, end === 0n ? TOP : end]);
    r = rec.call64('virtualSpaceNextRange', h, lo(r), hi(r));
  }
  return out;
};

const generate = (seed: number, poolBytes: number, opCount: number): Step[] => {
  const rnd = prng(seed);
  const machine = new FlatMachine();
  installMachine(machine);
  machine.hosted_set_fold(0, FOLD_HI);
  const rec = new Recorder();
  rec.control('hosted_set_fold', 0, FOLD_HI);
  const poolLo = -poolBytes; // ends exactly at the 4 GiB boundary of the folded window
  // Sizes, refused inits, before-init calls.
  for (const n of [0, -1, 1, 120, 121, 4000, pool.VS_MAX_RECORDS, pool.VS_MAX_RECORDS + 1]) rec.call('virtualSpacePoolBytes', n);
  rec.call('virtualSpaceCreate', 0, 0, 0x10000, 0);
  rec.call('virtualSpaceNodesFree');
  rec.call('virtualSpacePoolInit', poolLo - 4096, FOLD_HI, poolBytes); // crosses 4 GiB
  rec.call('virtualSpacePoolInit', poolLo + 8, FOLD_HI, poolBytes);
  rec.call('virtualSpacePoolInit', poolLo, FOLD_HI, poolBytes + 4);
  rec.call('virtualSpacePoolInit', poolLo, FOLD_HI, 0);
  rec.call('virtualSpacePoolInit', poolLo, FOLD_HI, -4096);
  rec.call('virtualSpacePoolInit', poolLo, FOLD_HI, poolBytes);
  // Refused creates.
  rec.call('virtualSpaceCreate', 0x1800, 0, 0x10000, 0);
  rec.call('virtualSpaceCreate', 0x10000, 0, 0x10000, 0);
  rec.call('virtualSpaceCreate', 0x20000, 0, 0x10000, 0);
  rec.call('virtualSpaceCreate', 0, -1, 0x1000, 0);

  const handles: number[] = [];
  for (const s of SPACES) handles.push(rec.call('virtualSpaceCreate', lo(s.start), hi(s.start), lo(s.end), hi(s.end)));
  const found: Array<[number, bigint, number]> = []; // reserved blocks: space index, address, pages

  const pagesOf = (): number => {
    const r = rnd(20);
    if (r === 0) return [0, -1, -(2 ** 31), 2 ** 31 - 1, 1 << 20][rnd(5)]!;
    return r < 12 ? 1 + rnd(4) : 1 + rnd(r < 18 ? 32 : 600);
  };
  const addressIn = (k: number): bigint => {
    const zones = SPACES[k]!.zones;
    const base = zones[rnd(zones.length)]!;
    const odd = rnd(25) === 0 ? BigInt([1, 8, 2048, 4095][rnd(4)]!) : 0n;
    return (base + BigInt(rnd(300)) * PAGE + odd) % TOP;
  };

  for (let step = 0; step < opCount; step++) {
    const k = rnd(SPACES.length);
    const h = handles[k]!;
    const r = rnd(100);
    if (r < 22) {
      // Find, and usually allocate what was found (as region allocation does).
      const pages = pagesOf();
      const alignShift = rnd(4) === 0 ? [11, 13, 14, 16, 21, 30, 39, 40][rnd(8)]! : 12;
      const from = rnd(3) === 0 ? 0n : addressIn(k);
      const a = rec.call64('virtualSpaceFind', h, pages, alignShift, lo(from), hi(from));
      if (typeof a === 'bigint' && rnd(4) !== 0) {
        if (rec.call('virtualSpaceReserve', h, lo(a), hi(a), pages) === 0) found.push([k, a, pages]);
      }
    } else if (r < 45) {
      const a = addressIn(k);
      const pages = pagesOf();
      if (rec.call('virtualSpaceReserve', h, lo(a), hi(a), pages) === 0) found.push([k, a, pages]);
    } else if (r < 53) {
      // Release a block reserved earlier (whole, or a part of it), or one that is already free.
      if (found.length > 0) {
        const j = rnd(found.length);
        const [fk, a, pages] = found[j]!;
        const fh = handles[fk]!;
        const part = rnd(3) === 0 && pages > 1 ? 1 + rnd(pages - 1) : pages;
        const result = rec.call('virtualSpaceRelease', fh, lo(a), hi(a), part);
        if (result === 0) {
          if (part === pages) found.splice(j, 1);
          else found[j] = [fk, a + BigInt(part) * PAGE, pages - part];
        }
      }
    } else if (r < 61) {
      const a = addressIn(k);
      rec.call('virtualSpaceRelease', h, lo(a), hi(a), pagesOf());
    } else if (r < 75) {
      const a = addressIn(k);
      rec.call('virtualSpaceIsFree', h, lo(a), hi(a), pagesOf());
    } else if (r < 83) {
      const a = found.length > 0 && rnd(2) === 0 ? found[rnd(found.length)]![1] : addressIn(k);
      rec.call('virtualSpaceIsAllocated', h, lo(a), hi(a), pagesOf());
    } else if (r < 90) {
      rec.call('virtualSpaceCheck', h);
      rec.call('virtualSpaceRangeCount', h);
      rec.call('virtualSpaceNodesFree');
    } else if (r < 93) {
      const a = addressIn(k);
      rec.call64('virtualSpaceNextRange', h, lo(a), hi(a));
      rec.call64('virtualSpaceRangeEnd', h, lo(a & -PAGE), hi(a & -PAGE));
    } else if (r < 94) {
      // Destroy a space and create it again (its blocks are forgotten), when the records it
      // frees are enough (asked of the generator's instance directly: not a step).
      if (rnd(3) !== 0 || pool.virtualSpaceNodesFree() + space.virtualSpaceRangeCount(h) + 1 < 2) continue;
      rec.call('virtualSpaceDestroy', h);
      rec.call('virtualSpaceCheck', h);
      const s = SPACES[k]!;
      handles[k] = rec.call('virtualSpaceCreate', lo(s.start), hi(s.start), lo(s.end), hi(s.end));
      for (let j = found.length - 1; j >= 0; j--) if (found[j]![0] === k) found.splice(j, 1);
    } else if (r < 95) {
      rec.call('virtualSpacePoolCheck');
      rec.call64('virtualSpaceStart', h);
      rec.call64('virtualSpaceEnd', h);
    } else {
      // Unknown handles and odd arguments.
      const bad = [0, -1, 7, 100000, handles[(k + 1) % handles.length]! + 1][rnd(5)]!;
      rec.call('virtualSpaceReserve', bad, 0, 0, 1);
      rec.call64('virtualSpaceFind', bad, 1, 12, 0, 0);
      rec.call('virtualSpaceCheck', bad);
    }
    if (handles.some((x) => x < 0)) throw new Error('the generator lost a space (pool too small)');
  }
  // Everything at the end: each space's full range list and check, the pool, the raw words,
  // and the memory counters.
  for (const h of handles) {
    listRanges(rec, h);
    rec.call('virtualSpaceCheck', h);
    rec.call('virtualSpaceRangeCount', h);
  }
  rec.call('virtualSpacePoolCheck');
  rec.call('virtualSpaceNodesFree');
  const touched = pool.vsRecordsTouched();
  for (let offset = 0; offset < touched * 32; offset += 4) rec.control('hosted_peek32', poolLo + offset, FOLD_HI);
  rec.control('hosted_counter', 0);
  rec.control('hosted_counter', 1);
  return rec.steps;
};

describe('virtual space index: native == Node', () => {
  it('a long pseudo-random sequence over four spaces (x86-64 kernel half to 2^64, user half, across 4 GiB, all of 2^64)', async () => {
    const roomy = generate(0x5eed, 64 * 1024, 12000); // about 2000 records: never runs out
    const tight = generate(77, 4096, 5000); // 120 records: runs out now and then
    const steps = [...roomy, ...tight];
    const native = await buildBundleHosted('virtual-space', ENTRIES);
    const node = loadBundleNode(ENTRIES);
    const nodeResults = await node.run(steps);
    const nativeResults = await native.run(steps);
    const mismatches = steps
      .map((step, k) => ({ k, step, native: nativeResults[k], node: nodeResults[k] }))
      .filter((r) => !Object.is(r.native, r.node));
    expect(mismatches.slice(0, 20)).toEqual([]);
    // The sequence did real work: many successes, every error kind, clean checks.
    const results = (name: string): number[] =>
      steps.flatMap((s, k) => ('call' in s && s.call === name ? [nodeResults[k]!] : []));
    expect(results('virtualSpaceReserve').filter((r) => r === 0).length).toBeGreaterThan(1000);
    expect(results('virtualSpaceRelease').filter((r) => r === 0).length).toBeGreaterThan(500);
    expect(results('virtualSpaceFind').filter((r) => (r & 4095) === 0).length).toBeGreaterThan(500);
    expect(results('virtualSpaceCheck').filter((r) => r !== 0 && r !== -9)).toEqual([]);
    expect(results('virtualSpacePoolCheck').every((r) => r === 0)).toBe(true);
    const all = new Set(nodeResults);
    for (const code of [-1, -2, -3, -4, -9, -13, -20, -21, -23, -24]) expect(all.has(code), `error ${code} seen`).toBe(true);
    const largest = Math.max(...results('virtualSpaceRangeCount'));
    console.log(`virtual-space differential: ${steps.length} steps, up to ${largest} free ranges in a space`);
    expect(largest).toBeGreaterThan(100);
  }, 300_000);
});
