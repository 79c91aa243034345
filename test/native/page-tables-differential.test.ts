/*
 * Native == Node for allocPageTables (src/region/page-directories.ts) and the walker's pre-taken
 * table list it builds with (walkReserveSpares with a contiguous block): the same steps in x86-64
 * 4- and 5-level mode on the flat machine, every result identical - returned frames, pairHi,
 * free-frame counts, the tables found afterwards. The steps cover runs that need new parents and
 * runs that cross into the next directory, a fragmented bitmap (the block must come from one
 * contiguous run), a large leaf in the way, refused arguments, and an allocation failure injected
 * at every k until the call succeeds.
 */
import { describe, expect, it } from 'vitest';
import { buildBundleHosted, loadBundleNode } from './bundle-build.ts';
import type { Step } from './porffor-build.ts';
import { FEATURE_GIGABYTE_PAGES, FEATURE_GLOBAL_PAGES, FEATURE_NX } from '../../src/paging/paging-modes.ts';
import { PAGE_WRITE, PAGE_USER } from '../../src/paging/page-flags.ts';
import { frameBitmapStorageBytes } from '../../src/memory/frame-bitmap.ts';
import { frameCountersBytes } from '../../src/memory/frame-counters.ts';

const ENTRIES = [
  'src/region/page-directories.ts',
  'src/paging/address-spaces.ts',
  'src/paging/walker.ts',
  'src/paging/table-access.ts',
  'src/memory/frame-bitmap.ts',
  'src/memory/frame-counters.ts',
  'src/int64/pair.ts',
  'src/paging/backend.ts',
  'src/port/port.ts',
];
const FRAMES = 32768;
const FOLD_HI = -0x8000; // tables at 0xFFFF8000_00000000 + physical
const USER_RW = PAGE_WRITE | PAGE_USER;
const SPAN = 0x200000; // one page table's reach

const call = (name: string, ...args: number[]): Step => ({ call: name, args });
const hi: Step = { get: 'pairHi' };

const buildSteps = async (levels: number): Promise<Step[]> => {
  const steps: Step[] = [
    call('hosted_set_fold', 0, FOLD_HI),
    call('frameBitmapInit', FRAMES, 0x100000, FOLD_HI, frameBitmapStorageBytes(FRAMES)),
    call('frameBitmapAddUsable', 0, FRAMES),
    call('frameBitmapReserve', 0, 0x400),
    call('frameCountersInit', FRAMES, 0x200000, FOLD_HI, frameCountersBytes(FRAMES)),
    call('archPagingInit', levels, FEATURE_NX | FEATURE_GIGABYTE_PAGES | FEATURE_GLOBAL_PAGES),
    call('tableAccessDirect', 0, FOLD_HI, FRAMES),
    call('addressSpaceKernelCreate'),
  ];
  const kernelRoot = (await loadBundleNode(ENTRIES, 'x86-64').run(steps)).at(-1)!;
  steps.push(call('portWriteCr3', kernelRoot * 4096, 0), call('addressSpaceCreate'));
  const root = (await loadBundleNode(ENTRIES, 'x86-64').run(steps)).at(-1)!;
  // fragment the bitmap: 64 frames taken one by one, every other one given back
  for (let k = 0; k < 64; k++) steps.push(call('frameAlloc'));
  const taken = (await loadBundleNode(ENTRIES, 'x86-64').run(steps)).slice(-64);
  for (let k = 0; k < 64; k += 2) steps.push(call('frameFree', taken[k]!));
  const table = (address: number): Step[] => [call('walkDescend', root, address, 0, 1, 0, 0), call('walkDescendLevel'), call('tableAccessDone')];
  steps.push(
    call('frameFreeCount'),
    // eight tables in one call, their parents made on the way
    call('allocPageTables', root, 0x40000000, 0, 1, 8, USER_RW),
    call('frameFreeCount'),
    ...table(0x40000000 + 7 * SPAN),
    // again: nothing new; then a run across into the next directory, with one table already there
    call('allocPageTables', root, 0x40000000, 0, 1, 8, USER_RW),
    call('allocPageTable', root, 0x40000000 - SPAN, 0, 1, USER_RW),
    call('allocPageTables', root, 0x40000000 - 3 * SPAN, 0, 1, 5, USER_RW),
    call('frameFreeCount'),
    ...table(0x40000000 - 3 * SPAN),
    // directories (level 2) for a large range, and a kernel run
    call('allocPageTables', root, 0, 1, 2, 3, USER_RW),
    call('allocPageTables', kernelRoot, 0, levels === 5 ? -0x800000 : -0x4000, 1, 4, PAGE_WRITE),
    call('frameFreeCount'),
    // a large leaf where a table must go; refused arguments
    call('walkMapRange', root, 0x80000000 | 0, 0, 512, -1, USER_RW, 1),
    call('allocPageTables', root, 0x80000000 - 2 * SPAN, 0, 1, 4, USER_RW),
    call('allocPageTables', root, 0x10000000, 0, 1, 0, USER_RW),
    call('allocPageTables', root, 0x10000000, 0, levels, 1, USER_RW),
    call('allocPageTables', root, -SPAN, levels === 5 ? 0xffffff : 0x7fff, 1, 2, USER_RW),
    call('allocPageTables', kernelRoot, -SPAN, -1, 1, 2, PAGE_WRITE),
    call('allocPageTables', root, 0, levels === 5 ? -0x800000 : -0x4000, 1, 1, USER_RW),
    call('frameFreeCount'),
  );
  // an allocation failure at every k until the call succeeds
  for (let k = 1; k <= 8; k++) {
    steps.push(
      call('frameInjectFailure', k),
      call('allocPageTables', root, 0, 2, 1, 6, USER_RW),
      call('frameInjectFailure', 0),
      call('frameFreeCount'),
    );
  }
  steps.push(...table(0x00000000 + 5 * SPAN), hi, call('addressSpaceRelease', root), call('frameFreeCount'));
  return steps;
};

describe('differential: allocPageTables, native == Node', () => {
  it.each([4, 5])('%i-level', async (levels) => {
    const steps = await buildSteps(levels);
    const native = await buildBundleHosted('page-tables', ENTRIES, 'x86-64');
    const nodeResults = await loadBundleNode(ENTRIES, 'x86-64').run(steps);
    const nativeResults = await native.run(steps);
    const mismatches = steps
      .map((step, k) => ({ k, step, native: nativeResults[k], node: nodeResults[k] }))
      .filter((r) => !Object.is(r.native, r.node));
    expect(mismatches.slice(0, 20)).toEqual([]);
    // the run did what it is for: the eight tables were made side by side, failures were refused
    const first = steps.findIndex((s) => 'call' in s && s.call === 'allocPageTables');
    expect(nodeResults[first]).toBeGreaterThan(0);
    expect(nodeResults[first + 2]).toBe(nodeResults[first]! + 7);
    const codes = steps.map((s, k) => ('call' in s && s.call === 'allocPageTables' ? nodeResults[k]! : 1)).filter((r) => r < 0);
    expect(codes.length).toBeGreaterThanOrEqual(6);
  });
});
