/*
 * Native == Node for the frame bitmap: the bitmap's bundle compiled by porffor to C (hosted, on
 * the flat machine of test/native/hosted/) and the same source in Node (on the flat machine's
 * twin) run one long pseudo-random sequence of operations, and every result must be identical.
 * This is what shows that porffor compiles the bitmap's shifts, masks and int32 arithmetic as Node
 * runs them. The storage sits at a linear address with a non-zero high half (a direct map at
 * 0xFFFF8000_00000000, folded by the flat machine), just below a 4 GiB boundary of linear space.
 */
import { describe, expect, it } from 'vitest';
import { buildBundleHosted, loadBundleNode } from './bundle-build.ts';
import type { Step } from './porffor-build.ts';

const ENTRIES = ['src/memory/frame-bitmap.ts', 'src/memory/frame-bits.ts'];
const FOLD_HI = -0x8000;

/** A small deterministic PRNG (the sequence must be the same on both sides: it is data). */
const prng = (seed: number): ((n: number) => number) => {
  let state = seed >>> 0;
  return (n) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return Math.floor((state / 2 ** 32) * n);
  };
};

const EDGE_WORDS = [0, 1, -1, 2, 3, 0x80000000 | 0, 0x7fffffff, 0x55555555, 0xaaaaaaaa | 0, 0x00010000, 0x8000, 0xf0f0f0f0 | 0, 12345678];

const bitSteps = (): Step[] => {
  const steps: Step[] = [];
  for (const w of EDGE_WORDS) {
    steps.push({ call: 'frameBitsLowestSet', args: [w] }, { call: 'frameBitsHighestSet', args: [w] }, { call: 'frameBitsCount', args: [w] });
  }
  for (let from = 0; from < 32; from += 3) for (let to = from + 1; to <= 32; to += 5) steps.push({ call: 'frameBitsMask', args: [from, to] });
  return steps;
};

const countSteps: Step[] = ['frameCoveredCount', 'frameReservedCount', 'frameTotalCount', 'frameFreeCount', 'frameUsedCount'].map((call) => ({
  call,
  args: [],
}));

const bitmapSteps = (frames: number, seed: number): Step[] => {
  const rnd = prng(seed);
  const bytes = 3 * 4096; // enough for 40000 frames
  const storageLo = -bytes; // ends exactly at the 4 GiB boundary of the low half
  const steps: Step[] = [
    { call: 'hosted_set_fold', args: [0, FOLD_HI] },
    { call: 'frameBitmapStorageBytes', args: [frames] },
    { call: 'frameBitmapInit', args: [frames, storageLo - 4096, FOLD_HI, bytes] }, // crosses: refused
    { call: 'frameBitmapInit', args: [frames, storageLo, FOLD_HI, bytes] },
    ...countSteps,
  ];
  for (let k = 0; k < 12; k++) steps.push({ call: 'frameBitmapAddUsable', args: [rnd(frames), 1 + rnd(4000)] });
  steps.push({ call: 'frameBitmapAddUsable', args: [0, frames] });
  const frame = (): number => (rnd(10) === 0 ? [-1, frames, frames - 1, 0, 31, 32, 2 ** 31 - 1][rnd(7)]! : rnd(frames));
  const count = (): number => (rnd(10) === 0 ? [0, -1, 2 ** 31 - 1, 32, 64][rnd(5)]! : 1 + rnd(rnd(4) === 0 ? 2000 : 40));
  const aligns = [1, 2, 8, 32, 512, 4096, 3, 0, -512];
  for (let k = 0; k < 4000; k++) {
    const r = rnd(100);
    if (r < 35) steps.push({ call: 'frameAlloc', args: [] });
    else if (r < 45) steps.push({ call: 'frameAllocContiguous', args: [count(), aligns[rnd(aligns.length)]!] });
    else if (r < 65) steps.push({ call: 'frameFree', args: [frame()] });
    else if (r < 72) steps.push({ call: 'frameFreeRange', args: [frame(), count()] });
    else if (r < 79) steps.push({ call: 'frameClaim', args: [frame(), count()] });
    else if (r < 82) steps.push({ call: 'frameBitmapReserve', args: [frame(), count()] });
    else if (r < 84) steps.push({ call: 'frameBitmapAddUsable', args: [frame(), count()] });
    else if (r < 90) steps.push({ call: 'frameIsFree', args: [frame()] });
    else if (r < 93) steps.push({ call: 'frameIsReserved', args: [frame()] });
    else steps.push(...countSteps);
  }
  // The storage itself, word by word, must be identical too.
  for (let offset = 0; offset < bytes; offset += 4) steps.push({ call: 'hosted_peek32', args: [storageLo + offset, FOLD_HI] });
  return steps;
};

const addressSteps = (): Step[] => {
  const steps: Step[] = [];
  const los = [0, 0x1000, 0x1001, 0x9fc00, -4096, -4095, -1, 0x7ffff000];
  const his = [0, 1, 0x7ff, 0x800, -1, 0x12345];
  for (const lo of los) {
    for (const hi of his) {
      for (const call of ['frameFromAddress', 'frameContaining', 'frameAtOrAbove']) steps.push({ call, args: [lo, hi] });
    }
  }
  return steps;
};

describe('frame bitmap: native == Node', () => {
  it('bit helpers, a long random sequence (40000 frames), address helpers, and the raw storage', async () => {
    const steps = [...bitSteps(), ...bitmapSteps(40000, 0x5eed), ...bitmapSteps(4000, 77), ...addressSteps()];
    const native = await buildBundleHosted('frame-bitmap', ENTRIES);
    const node = loadBundleNode(ENTRIES);
    const nodeResults = await node.run(steps);
    const nativeResults = await native.run(steps);
    const mismatches = steps
      .map((step, k) => ({ k, step, native: nativeResults[k], node: nodeResults[k] }))
      .filter((r) => !Object.is(r.native, r.node));
    expect(mismatches.slice(0, 20)).toEqual([]);
    // The sequence did real work: many successful allocations, frees and every error kind.
    const results = new Set(nodeResults);
    for (const code of [-1, -2, -4, -5, -6, -7, -8, -9]) expect(results.has(code), `error ${code} seen`).toBe(true);
    const allocs = steps.flatMap((s, k) => ('call' in s && s.call === 'frameAlloc' && nodeResults[k]! >= 0 ? [k] : []));
    expect(allocs.length).toBeGreaterThan(1000);
  }, 120_000);
});
