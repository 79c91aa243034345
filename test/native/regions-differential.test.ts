/*
 * Native == Node for the region API and everything under it (the walker, address spaces, table
 * access, the TLB gather, the page bitmap, the frame counters, the free-space index), on both
 * architectures and in all four paging modes: the bundle of src/region/regions.ts and its
 * dependencies, with the paging backend of the architecture linked in (arch/x86-64/backend.ts,
 * run in 4-level and in 5-level mode; arch/i386/backend.ts, run in PAE and in two-level mode -
 * one bundle per architecture, built once: the mode is archPagingInit's argument), compiled by
 * porffor to C (hosted, on the flat machine of test/native/hosted/), and the same sources in Node
 * (the same backend installed behind the seam, on the flat machine's twin) run the same steps,
 * and every result must be identical: each call's return value and the high half it leaves in
 * pairHi.
 *
 * The steps: a set-up that mirrors test/support/paging-setup.ts without an MMU (the flat machine
 * folds the kernel's direct map onto physical memory: hosted_set_fold) - bitmap and counters,
 * archPagingInit (the mode, and its features: NX, 1 GiB pages, global pages in long mode; NX in
 * PAE; 4 MiB pages (PSE) in two-level paging), tableAccessDirect, addressSpaceKernelCreate, the kernel's view of memory mapped
 * with walkMapRange, CR3, the free-space pool and spaces, regionsInit, addressSpaceCreate,
 * regionsUseUserSpace, the I/O window (regionsReserveWindow, ioMappingsInit: src/region/io-mappings.ts
 * is an entry) - then SEQUENCES sequences of STEPS operations each, made by the property
 * test's generator (test/host/regions-model.ts: allocations, frees, resizes, protectRegion,
 * mapIOMemory / unmapIOMemory, translations, queries, FIXED frames, context switches, failure
 * injection) from fixed seeds. The generator
 * aims its calls by driving its own fresh instance of the same modules on its own flat machine
 * (so the steps are data, fixed before either side runs), and its results must match Node's too.
 * Checks are interleaved (free count, index invariants, range counts, live I/O mappings) and each
 * sequence ends with the bitmap's raw words, the I/O registry's raw slots and the machine's access
 * counters (memory reads and writes, CR3 loads, invlpg, flushes): any difference in what the two
 * builds did shows there.
 *
 * Sizes: SEQUENCES x STEPS operations per mode (fixed seeds, one per mode); a mode takes about
 * 5-9 s on one core, the two builds (porffor and cc, once per architecture) a few seconds each.
 */
import { pathToFileURL } from 'node:url';
import { resolve } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildBundleHosted, loadBundleNode } from './bundle-build.ts';
import { PROJECT_ROOT, type Step } from './porffor-build.ts';
import { FlatMachine } from '../support/flat-machine.ts';
import {
  OP_KINDS,
  RegionOpGenerator,
  callArgs,
  layoutFor,
  type CallExpectation,
  type GeneratorHost,
  type ModeName,
  type ModelLayout,
  type RegionCall,
  type RegionOp,
} from '../host/regions-model.ts';
import {
  FEATURE_GIGABYTE_PAGES,
  FEATURE_GLOBAL_PAGES,
  FEATURE_LARGE_PAGES,
  FEATURE_NX,
  PAGING_FIVE_LEVEL,
  PAGING_FOUR_LEVEL,
  PAGING_PAE,
  PAGING_TWO_LEVEL,
} from '../../src/paging/paging-modes.ts';
import { PAGE_WRITE } from '../../src/paging/page-flags.ts';

const ENTRIES = [
  'src/region/regions.ts',
  'src/region/io-mappings.ts',
  'src/paging/address-spaces.ts',
  'src/paging/walker.ts',
  'src/paging/table-access.ts',
  'src/paging/tlb-gather.ts',
  'src/memory/frame-bitmap.ts',
  'src/memory/frame-counters.ts',
  'src/region/virtual-space.ts',
  'src/region/virtual-space-pool.ts',
  'src/region/virtual-space-check.ts',
  'src/int64/pair.ts',
  'src/paging/backend.ts',
  'src/port/port.ts',
];

const SEQUENCES = 20;
const STEPS = 300;
const FRAMES = 32768; // 128 MiB
const POOL_NODES = 32000;
/** The I/O window (16 MiB) and mapIOMemory's registry (16 KiB after the pool, at 0x3FC000), as paging-setup.ts. */
const IO_WINDOW_PAGES = 4096;
const IO_REGISTRY = 0x3fc000;
const IO_REGISTRY_BYTES = 16384;

type Lookup = (name: string) => (...args: number[]) => number;

/** A fresh instance of the entries (new module registry), on its own flat machine, with the backend installed. */
const freshInstance = async (arch: 'x86-64' | 'i386'): Promise<{ lookup: Lookup; pairHi: () => number }> => {
  const { vi } = await import('vitest');
  vi.resetModules();
  const port = await import('../../src/port/port.ts');
  const machine = new FlatMachine();
  port.installMachine(machine);
  const seam = await import('../../src/paging/backend.ts');
  seam.installBackend(await import(pathToFileURL(resolve(PROJECT_ROOT, `arch/${arch}/backend.ts`)).href));
  const namespaces: Record<string, unknown>[] = [];
  for (const entry of ENTRIES) namespaces.push(await import(pathToFileURL(resolve(PROJECT_ROOT, entry)).href));
  const pair = (await import('../../src/int64/pair.ts')) as { pairHi: number };
  const lookup: Lookup = (name) => {
    if (name in machine && name.startsWith('hosted_')) return (...args) => (machine as unknown as Record<string, (...a: number[]) => number>)[name]!(...args);
    const found = namespaces.find((n) => name in n)?.[name];
    if (typeof found !== 'function') throw new Error(`no function ${name}`);
    return found as (...args: number[]) => number;
  };
  return { lookup, pairHi: () => pair.pairHi };
};

/** Records every call as a step while making it on the generator's own instance. */
class Recorder implements GeneratorHost {
  readonly steps: Step[] = [];
  /** What the generator's instance returned, step by step (`get pairHi` included). */
  readonly results: number[] = [];
  userRoot = 0;
  kernelRoot = 0;
  activeRoot = 0;

  constructor(
    private readonly lookup: Lookup,
    private readonly hiOf: () => number,
  ) {}

  step(name: string, ...args: number[]): number {
    const result = this.lookup(name)(...args);
    this.steps.push({ call: name, args });
    this.results.push(result);
    return result;
  }

  /** A call whose result may be an address: its pairHi is a step too. */
  step64(name: string, ...args: number[]): { result: number; hi: number } {
    const result = this.step(name, ...args);
    const hi = this.hiOf();
    this.steps.push({ get: 'pairHi' });
    this.results.push(hi);
    return { result, hi };
  }

  call(c: RegionCall, _expected: CallExpectation): { result: number; hi: number } {
    const inject = 'inject' in c ? c.inject : 0;
    if (inject > 0) this.step('frameInjectFailure', inject);
    const outcome = this.step64(c.fn, ...callArgs(c));
    if (inject > 0) this.step('frameInjectFailure', 0);
    return outcome;
  }

  takeFrames(count: number, align: number): number {
    return this.step('frameAllocContiguous', count, align);
  }

  freeFrames(first: number, count: number): number {
    return this.step('frameFreeRange', first, count);
  }

  switchRoot(): void {
    this.activeRoot = this.activeRoot === this.userRoot ? this.kernelRoot : this.userRoot;
    this.step('portWriteCr3', this.activeRoot * 4096, 0);
  }

  /** User space bounds (lo, hi of start and end), set with the set-up. */
  userBounds: number[] = [];
  userSpace = 0;

  newProcess(): boolean {
    this.step('portWriteCr3', this.kernelRoot * 4096, 0);
    this.step('addressSpaceRelease', this.userRoot);
    this.step('virtualSpaceDestroy', this.userSpace);
    const root = this.step('addressSpaceCreate');
    const space = this.step('virtualSpaceCreate', ...this.userBounds);
    if (root < 0 || space < 0) throw new Error(`the generator's instance could not start a process: ${root}, ${space}`);
    this.step('regionsUseUserSpace', root, space);
    this.step('portWriteCr3', root * 4096, 0);
    this.userRoot = root;
    this.userSpace = space;
    this.activeRoot = root;
    return true;
  }

  note(): void {}
}

interface FlatSetup {
  layout: ModelLayout;
  userSpace: number;
  kernelSpace: number;
}

/** The set-up of paging-setup.ts, as steps, on the flat machine (no MMU: the direct map is a fold). */
const setUpSteps = (rec: Recorder, mode: ModeName): FlatSetup => {
  const x86 = mode === 'four-level' || mode === 'five-level';
  // x86-64: the kernel half starts at 0xFFFF8000_00000000 (4-level) or 0xFF000000_00000000 (5-level)
  const kernelStartHi = mode === 'five-level' ? -0x1000000 : -0x8000;
  const userEndHi = mode === 'five-level' ? 0x1000000 : 0x8000;
  // x86-64: the direct map at 0xFFFF8000_00000000 (the kernel reaches tables there); i386: low memory at 0xC0000000
  const foldLo = x86 ? 0 : 0xc0000000 | 0;
  const foldHi = x86 ? -0x8000 : 0;
  rec.step('hosted_set_fold', foldLo, foldHi);
  const storageLo = x86 ? 0x100000 : 0x100000;
  const storageHi = x86 ? foldHi : 0; // i386: identity below the fold, as with paging off
  const bitmapBytes = rec.step('frameBitmapStorageBytes', FRAMES);
  rec.step('frameBitmapInit', FRAMES, storageLo, storageHi, bitmapBytes);
  rec.step('frameBitmapAddUsable', 0, FRAMES);
  rec.step('frameBitmapReserve', 0, 0x400);
  const counterBytes = rec.step('frameCountersBytes', FRAMES);
  rec.step('frameCountersInit', FRAMES, storageLo + bitmapBytes, storageHi, counterBytes);
  let kernelRoot: number;
  let kernelSpace: number;
  let searchLo: number;
  let searchHi: number;
  if (x86) {
    rec.step('archPagingInit', mode === 'five-level' ? PAGING_FIVE_LEVEL : PAGING_FOUR_LEVEL, FEATURE_NX | FEATURE_GIGABYTE_PAGES | FEATURE_GLOBAL_PAGES);
    rec.step('tableAccessDirect', 0, foldHi, 0x40000);
    kernelRoot = rec.step('addressSpaceKernelCreate');
    rec.step('walkMapRange', kernelRoot, 0x80000000 | 0, -1, 262144, 0, PAGE_WRITE, 1); // the direct-map window (1 GiB)
    rec.step('portWriteCr3', kernelRoot * 4096, 0);
    rec.step('virtualSpacePoolInit', 0x300000, foldHi, rec.step('virtualSpacePoolBytes', POOL_NODES));
    kernelSpace = rec.step('virtualSpaceCreate', 0, kernelStartHi, 0, 0);
    searchLo = 0;
    searchHi = kernelStartHi + 0x100; // 1 TiB into the kernel half, as paging-setup.ts
  } else {
    if (mode === 'pae') rec.step('archPagingInit', PAGING_PAE, FEATURE_NX | FEATURE_GLOBAL_PAGES);
    else rec.step('archPagingInit', PAGING_TWO_LEVEL, FEATURE_LARGE_PAGES | FEATURE_GLOBAL_PAGES);
    rec.step('tableAccessDirect', 0, 0, 0x100000); // paging off: linear = physical
    kernelRoot = rec.step('addressSpaceKernelCreate');
    rec.step('walkMapRange', kernelRoot, 0, 0, 1024, 0, PAGE_WRITE, 1); // the low window
    rec.step('walkMapRange', kernelRoot, 0xc0000000 | 0, 0, 0x8000, 0, PAGE_WRITE, 1); // low memory at 0xC0000000
    rec.step('portWriteCr3', kernelRoot * 4096, 0);
    rec.step('tableAccessDirect', 0xc0000000 | 0, 0, 0x8000);
    rec.step('virtualSpacePoolInit', 0x300000, 0, rec.step('virtualSpacePoolBytes', POOL_NODES));
    kernelSpace = rec.step('virtualSpaceCreate', 0xc0000000 | 0, 0, 0, 1);
    searchLo = 0xd0000000 | 0;
    searchHi = 0;
  }
  // the mode took (both sides report it: the steps are compared like every other)
  const levels = rec.step('archLevels');
  const wantLevels = { 'two-level': 2, pae: 3, 'four-level': 4, 'five-level': 5 }[mode];
  if (levels !== wantLevels) throw new Error(`${mode}: archPagingInit left ${levels} levels, not ${wantLevels}`);
  rec.step('archPagingMode');
  rec.step('archAddressBits');
  rec.step('regionsInit', kernelRoot, kernelSpace, searchLo, searchHi);
  // the set-up's view of memory: the direct-map window (1 GiB) or low memory at 0xC0000000
  if (x86) rec.step('regionsReserveWindow', 0x80000000 | 0, -1, 262144);
  else rec.step('regionsReserveWindow', 0xc0000000 | 0, 0, 0x8000);
  // the I/O window: 16 MiB just below the kernel-region base (x86-64) or at 0xCF000000 (i386), its registry after the pool
  const ioLo = x86 ? -IO_WINDOW_PAGES * 4096 : 0xcf000000 | 0;
  const ioHi = x86 ? searchHi - 1 : 0;
  rec.step('regionsReserveWindow', ioLo, ioHi, IO_WINDOW_PAGES);
  rec.step('ioMappingsInit', ioLo, ioHi, IO_WINDOW_PAGES, IO_REGISTRY, x86 ? foldHi : 0, IO_REGISTRY_BYTES);
  const userRoot = rec.step('addressSpaceCreate');
  const userSpace = x86 ? rec.step('virtualSpaceCreate', 0x400000, 0, 0, userEndHi) : rec.step('virtualSpaceCreate', 0x400000, 0, 0xc0000000 | 0, 0);
  rec.step('regionsUseUserSpace', userRoot, userSpace);
  rec.step('portWriteCr3', userRoot * 4096, 0);
  rec.userRoot = userRoot;
  rec.kernelRoot = kernelRoot;
  rec.activeRoot = userRoot;
  rec.userSpace = userSpace;
  rec.userBounds = x86 ? [0x400000, 0, 0, userEndHi] : [0x400000, 0, 0xc0000000 | 0, 0];
  if (kernelRoot <= 0 || userRoot <= 0 || kernelSpace <= 0 || userSpace <= 0) throw new Error(`set-up failed: roots ${kernelRoot}/${userRoot}, spaces ${kernelSpace}/${userSpace}`);
  const searchBase = Number(((BigInt(searchHi >>> 0) << 32n) | BigInt(searchLo >>> 0)) / 4096n);
  const layout = layoutFor(mode, searchBase);
  layout.ramFrames = FRAMES;
  const ioPage = Number(((BigInt(ioHi >>> 0) << 32n) | BigInt(ioLo >>> 0)) / 4096n);
  layout.ioWindows = [{ start: ioPage, end: ioPage + IO_WINDOW_PAGES }];
  layout.ioSlots = IO_REGISTRY_BYTES / 16;
  layout.reservedFrames = [{ start: 0, end: 0x400 }];
  if (x86) {
    const window = 2 ** 52 - 0x80000;
    layout.setupTaken = [{ start: window, end: window + 0x40000 }, ...layout.ioWindows];
    layout.baseline = [{ start: window, end: window + 0x40000, firstFrame: 0 }];
  } else {
    layout.setupTaken = [{ start: 0xc0000, end: 0xc8000 }, ...layout.ioWindows];
    layout.baseline = [
      { start: 0, end: 0x400, firstFrame: 0 },
      { start: 0xc0000, end: 0xc8000, firstFrame: 0 },
    ];
  }
  return { layout, userSpace, kernelSpace };
};

/** One sequence: the set-up, the generator's calls with checks between them, the final state. */
const sequenceSteps = async (arch: 'x86-64' | 'i386', mode: ModeName, ops: readonly RegionOp[]): Promise<{ steps: Step[]; results: number[] }> => {
  const instance = await freshInstance(arch);
  const rec = new Recorder(instance.lookup, instance.pairHi);
  const { layout, kernelSpace } = setUpSteps(rec, mode);
  const gen = new RegionOpGenerator(layout, rec, { ownPages: 6000, heldFrames: 2048, extents: 60, avoid: new Set() });
  for (const [k, op] of ops.entries()) {
    gen.apply(op);
    if (k % 10 === 9) {
      rec.step('frameFreeCount');
      rec.step('virtualSpaceCheck', rec.userSpace);
      rec.step('virtualSpaceCheck', kernelSpace);
      rec.step('virtualSpaceRangeCount', rec.userSpace);
      rec.step('virtualSpaceRangeCount', kernelSpace);
      rec.step('virtualSpaceNodesFree');
      rec.step('tlbGatherInvlpgTotal');
      rec.step('tlbGatherFullTotal');
      rec.step('ioMappingCount');
    }
  }
  // the final state: counts, the bitmap's raw words, the machine's counters
  for (const name of ['frameFreeCount', 'frameUsedCount', 'frameReservedCount', 'virtualSpaceNodesFree', 'tlbGatherInvlpgTotal', 'tlbGatherFullTotal', 'ioMappingCount']) rec.step(name);
  const storageHi = arch === 'x86-64' ? -0x8000 : 0;
  for (let word = 0; word < (2 * FRAMES) / 32; word++) rec.step('hosted_peek32', 0x100000 + 4 * word, storageHi);
  // the I/O registry's raw slots (the hash table's layout must be the same)
  for (let word = 0; word < IO_REGISTRY_BYTES / 4; word++) rec.step('hosted_peek32', IO_REGISTRY + 4 * word, storageHi);
  for (let counter = 0; counter < 6; counter++) rec.step('hosted_counter', counter);
  return { steps: rec.steps, results: rec.results };
};

const opArb: fc.Arbitrary<RegionOp> = fc.record({ k: fc.noBias(fc.integer({ min: 0, max: OP_KINDS - 1 })), a: fc.nat(), b: fc.nat(), c: fc.nat() });

/** One native build per architecture (both of its modes run on it), started by the first mode that needs it. */
const natives = new Map<string, ReturnType<typeof buildBundleHosted>>();
const nativeFor = (arch: 'x86-64' | 'i386'): ReturnType<typeof buildBundleHosted> => {
  let build = natives.get(arch);
  if (build === undefined) {
    build = buildBundleHosted(`regions-${arch}`, ENTRIES, arch);
    natives.set(arch, build);
  }
  return build;
};

describe.each([
  ['x86-64', 'four-level', 0x5eed],
  ['i386', 'pae', 0xface],
  ['x86-64', 'five-level', 0x5eed5],
  ['i386', 'two-level', 0x2face],
] as const)('regions, native == Node (%s, %s)', (arch, mode, seed) => {
  it(`${SEQUENCES} generated sequences of ${STEPS} operations`, async () => {
    const started = performance.now();
    const sequences = fc.sample(fc.array(opArb, { minLength: STEPS, maxLength: STEPS }), { seed, numRuns: SEQUENCES });
    const native = await nativeFor(arch);
    const built = performance.now();
    const node = loadBundleNode(ENTRIES, arch);
    let total = 0;
    const seen = new Map<string, number>();
    for (const [index, ops] of sequences.entries()) {
      const { steps, results } = await sequenceSteps(arch, mode, ops);
      const nativeRun = native.run(steps); // a child process: it runs while Node does its part
      const nodeResults = await node.run(steps);
      const nativeResults = await nativeRun;
      const describe = (k: number): string => {
        const step = steps[k]!;
        return 'get' in step ? `get ${step.get}` : `${step.call}(${step.args.join(', ')})`;
      };
      const mismatches = steps
        .map((_, k) => k)
        .filter((k) => !Object.is(nativeResults[k], nodeResults[k]))
        .slice(0, 10)
        .map((k) => ({ k, step: describe(k), previous: k > 0 ? describe(k - 1) : '', native: nativeResults[k], node: nodeResults[k] }));
      expect(mismatches, `sequence ${index} (seed ${seed}): native != Node`).toEqual([]);
      // the generator's own instance ran the same steps: Node must agree with it too (determinism)
      const drift = results.findIndex((r, k) => !Object.is(r, nodeResults[k]));
      expect(drift, `sequence ${index}: Node differs from the generator at ${drift >= 0 ? describe(drift) : ''}`).toBe(-1);
      total += steps.length;
      for (const [k, step] of steps.entries()) {
        if (
          'call' in step &&
          ['allocRegion', 'allocKernelRegion', 'freeRegion', 'resizeRegion', 'protectRegion', 'mapIOMemory', 'unmapIOMemory', 'addressSpaceRelease', 'frameAllocContiguous'].includes(step.call)
        ) {
          const key = `${step.call} ${nodeResults[k]! < 0 && nodeResults[k]! > -4096 ? nodeResults[k] : 'ok'}`;
          seen.set(key, (seen.get(key) ?? 0) + 1);
        }
      }
    }
    const seconds = (t: number): string => ((t - started) / 1000).toFixed(1);
    console.log(`[regions differential ${arch} ${mode}] ${SEQUENCES} x ${STEPS} operations, ${total} steps identical (build ${seconds(built)} s, all ${seconds(performance.now())} s); outcomes: ${[...seen].map(([k, n]) => `${k}: ${n}`).join(', ')}`);
    // the sequences did real work
    for (const call of ['allocRegion', 'allocKernelRegion', 'freeRegion', 'resizeRegion']) expect(seen.get(`${call} ok`) ?? 0, `${call} succeeded`).toBeGreaterThan(50);
    for (const call of ['protectRegion', 'mapIOMemory', 'unmapIOMemory']) expect(seen.get(`${call} ok`) ?? 0, `${call} succeeded`).toBeGreaterThan(20);
    expect(seen.get('protectRegion -5') ?? 0, 'injected failures of protectRegion (a split at an end)').toBeGreaterThan(0);
    expect(seen.get('addressSpaceRelease ok') ?? 0, 'processes replaced').toBeGreaterThan(5);
    expect(seen.get('frameAllocContiguous ok') ?? 0, 'FIXED frames taken').toBeGreaterThan(20);
    expect(seen.get('allocRegion -5') ?? 0, 'injected allocation failures').toBeGreaterThan(0);
  }, 900_000);
});
