/*
 * Native == Node for the recursive strategy (table-access.ts, TABLES_RECURSIVE): the walker,
 * address spaces and table access as the kernels compile them (porffor, hosted on the flat
 * machine) and the same sources in Node run the same steps in x86-64 4- and 5-level mode, and
 * every result must be identical - return values, pairHi, the visit and invalidation counters,
 * the free-frame count, the machine's access counters.
 *
 * The flat machine has no MMU, but it walks a window (hosted_set_walk_window: the slot window and
 * the self-map window) from CR3 through the tables in memory, as the MMU walks those addresses; the rest of kernel space is
 * the fold (the direct map the set-up reaches tables through before switching). The steps: the
 * kernel root with its self-map entry, the slot window's page table (pinned), CR3, the slots
 * configured on the self-map's view of that table, the switch; then small and large mappings,
 * a split, translations, a user root built while the kernel's is loaded (slots), loaded
 * (self-map), kernel work while it is loaded (slots, self-map invalidations), its release.
 */
import { describe, expect, it } from 'vitest';
import { buildBundleHosted, loadBundleNode } from './bundle-build.ts';
import type { Step } from './porffor-build.ts';
import { FEATURE_GIGABYTE_PAGES, FEATURE_GLOBAL_PAGES, FEATURE_NX } from '../../src/paging/paging-modes.ts';
import { PAGE_WRITE, PAGE_USER } from '../../src/paging/page-flags.ts';
import { frameBitmapStorageBytes } from '../../src/memory/frame-bitmap.ts';
import { frameCountersBytes } from '../../src/memory/frame-counters.ts';

const ENTRIES = [
  'src/paging/address-spaces.ts',
  'src/paging/walker.ts',
  'src/paging/table-access.ts',
  'src/memory/temporary-mappings.ts',
  'src/memory/frame-bitmap.ts',
  'src/memory/frame-counters.ts',
  'src/int64/pair.ts',
  'src/paging/backend.ts',
  'src/port/port.ts',
];
const FRAMES = 32768;
const FOLD_HI = -0x8000; // tables at 0xFFFF8000_00000000 + physical before the switch
const SELF = 510;
const TABLE_PINNED = 32768;

const big = (lo: number, hi: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
const lo32 = (v: bigint): number => Number(v & 0xffffffffn) | 0;
const hi32 = (v: bigint): number => Number((v >> 32n) & 0xffffffffn) | 0;
const canonical = (v: bigint, levels: number): bigint => {
  const bits = BigInt(levels === 5 ? 57 : 48);
  const masked = v & ((1n << bits) - 1n);
  return (masked >> (bits - 1n)) & 1n ? masked | (((1n << 64n) - 1n) ^ ((1n << bits) - 1n)) : masked;
};
/** The self-map address of the table at `level` for `va`, computed independently of table-access.ts. */
const selfMapAddress = (level: number, va: bigint, levels: number): bigint => {
  let address = 0n;
  for (let k = levels; k >= 1; k--) {
    // the k-th field from the top: the self-map index for the first `level` fields, then va's indices from the top
    const fromTop = levels - k;
    const index = fromTop < level ? BigInt(SELF) : (va >> BigInt(12 + 9 * (levels - 1 - (fromTop - level)))) & 511n;
    address |= index << BigInt(12 + 9 * (k - 1));
  }
  return canonical(address, levels);
};

const call = (name: string, ...args: number[]): Step => ({ call: name, args });
const hi: Step = { get: 'pairHi' };

const setUp = (levels: number): Step[] => {
  return [
    call('hosted_set_fold', 0, FOLD_HI),
    call('frameBitmapInit', FRAMES, 0x100000, FOLD_HI, frameBitmapStorageBytes(FRAMES)),
    call('frameBitmapAddUsable', 0, FRAMES),
    call('frameBitmapReserve', 0, 0x400),
    call('frameCountersInit', FRAMES, 0x200000, FOLD_HI, frameCountersBytes(FRAMES)),
    call('archPagingInit', levels, FEATURE_NX | FEATURE_GIGABYTE_PAGES | FEATURE_GLOBAL_PAGES),
    call('tableAccessDirect', 0, FOLD_HI, FRAMES),
    call('tableSelfMapSet', SELF),
    call('tableSelfMapWindowLo'),
    hi,
    call('addressSpaceKernelCreate'),
  ];
};

/** Runs `steps` on Node and returns its results (to aim later steps at frames the manager chose). */
const nodeRun = async (steps: Step[]): Promise<number[]> => loadBundleNode(ENTRIES, 'x86-64').run(steps);

const buildSteps = async (levels: number): Promise<Step[]> => {
  const self = canonical(BigInt(SELF) << BigInt(3 + 9 * levels), levels);
  const slots = self - 0x200000n;
  const slotEntries = selfMapAddress(1, slots, levels) + ((slots >> 12n) & 511n) * 8n;
  const kernelHi = levels === 5 ? -0x800000 : -0x4000; // kernel-space addresses for the work below
  const steps: Step[] = setUp(levels);
  const kernelRoot = (await nodeRun(steps)).at(-1)!;
  steps.push(
    call('walkDescend', kernelRoot, lo32(slots), hi32(slots), 1, PAGE_WRITE, 1),
    call('tableAccessDone'),
  );
  const slotTable = (await nodeRun(steps)).at(-2)!;
  steps.push(
    call('frameCounterSet', slotTable, TABLE_PINNED),
    call('portWriteCr3', kernelRoot * 4096, 0),
    // the slot window and the self-map window: walked from CR3 as the MMU does
    call('hosted_set_walk_window', lo32(slots), hi32(slots), lo32(self + (1n << BigInt(3 + 9 * levels))), hi32(self + (1n << BigInt(3 + 9 * levels))), levels),
    call('temporaryMappingsConfigure', 8, lo32(slots), hi32(slots), lo32(slotEntries), hi32(slotEntries), 8, 3, 0),
    call('tableAccessRecursive'),
    call('tableAccessStrategy'),
    call('tableSelfMapTableAddress', levels, 0, 0),
    hi,
    call('tableSelfMapTableAddress', 1, lo32(slots), hi32(slots)),
    hi,
    // kernel work, its root loaded: through the self-map (new tables zeroed through a slot)
    call('walkMapRange', kernelRoot, 0, kernelHi, 700, -1, PAGE_WRITE, 1),
    call('walkMapRange', kernelRoot, 0x40000000, kernelHi, 1024, -1, PAGE_WRITE, 1),
    call('walkTranslate', kernelRoot, 0x40003000, kernelHi),
    hi,
    call('walkTranslatedLevel'),
    call('walkUnmapRange', kernelRoot, 0x40001000, kernelHi, 1, 1), // a split
    call('walkTranslate', kernelRoot, 0x40003000, kernelHi),
    hi,
    call('walkTranslatedLevel'),
    call('walkUnmapRange', kernelRoot, 0x1000, kernelHi, 600, 1),
    call('walkRangeIsUnmapped', kernelRoot, 0x1000, kernelHi, 600),
    call('tableSelfMapVisits'),
    call('tableSelfMapSlotVisits'),
    call('tableSelfMapInvalidations'),
    call('frameFreeCount'),
    call('addressSpaceCreate'),
  );
  const userRoot = (await nodeRun(steps)).at(-1)!;
  steps.push(
    // a user space built while the kernel's root is loaded: slots only
    call('walkMapRange', userRoot, 0x400000, 0, 300, -1, PAGE_WRITE | PAGE_USER, 1),
    call('walkMapRange', userRoot, 0x800000, 0, 1024, -1, PAGE_USER, 1),
    call('tableSelfMapVisits'),
    call('tableSelfMapSlotVisits'),
    // loaded: the user's tables through the self-map, the kernel's through the slots
    call('portWriteCr3', userRoot * 4096, 0),
    call('walkUnmapRange', userRoot, 0x401000, 0, 200, 1),
    call('walkUnmapRange', userRoot, 0x900000, 0, 1, 1),
    call('walkTranslate', userRoot, 0x902000, 0),
    hi,
    call('walkMapRange', kernelRoot, 0x80000000 | 0, kernelHi, 40, -1, PAGE_WRITE, 0),
    call('walkUnmapRange', kernelRoot, 0x80000000 | 0, kernelHi, 40, 1),
    call('walkUnmapRange', kernelRoot, 0x40000000, kernelHi, 1024, 1),
    call('tableSelfMapVisits'),
    call('tableSelfMapSlotVisits'),
    call('tableSelfMapInvalidations'),
    call('portWriteCr3', kernelRoot * 4096, 0),
    call('addressSpaceRelease', userRoot),
    call('walkUnmapRange', kernelRoot, 0, kernelHi, 700, 1),
    call('frameFreeCount'),
    call('tableSelfMapVisits'),
    call('tableSelfMapSlotVisits'),
    call('tableSelfMapInvalidations'),
    call('hosted_counter', 0),
    call('hosted_counter', 1),
    call('hosted_counter', 2),
    call('hosted_counter', 3),
    call('hosted_counter', 4),
    call('hosted_counter', 5),
  );
  return steps;
};

describe('differential: the recursive strategy, native == Node', () => {
  it.each([4, 5])('%i-level', async (levels) => {
    const steps = await buildSteps(levels);
    const native = await buildBundleHosted('recursive', ENTRIES, 'x86-64');
    const nodeResults = await nodeRun(steps);
    const nativeResults = await native.run(steps);
    const mismatches = steps
      .map((step, k) => ({ k, step, native: nativeResults[k], node: nodeResults[k] }))
      .filter((r) => !Object.is(r.native, r.node));
    expect(mismatches.slice(0, 20)).toEqual([]);
    // the run did what it is for: self-map visits, slot visits, invalidations; no error on the way
    const strategy = steps.findIndex((s) => 'call' in s && s.call === 'tableAccessStrategy');
    expect(nodeResults[strategy]).toBe(3);
    const last = nodeResults.length - 1;
    expect(nodeResults[last - 6]).toBeGreaterThan(0); // invalidations
    expect(nodeResults[last - 7]).toBeGreaterThan(0); // slot visits
    expect(nodeResults[last - 8]).toBeGreaterThan(0); // self-map visits
    const free = steps.map((s, k) => ('call' in s && s.call === 'frameFreeCount' ? nodeResults[k] : -1)).filter((v) => v >= 0);
    expect(free.at(-1)).toBeGreaterThan(free[0]!); // what was mapped after the first count came back
  }, 300_000);
});
