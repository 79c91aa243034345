/*
 * The region API against a plain reference model (test/host/regions-model.ts), by random sequences
 * of calls (fast-check), in every paging mode: i386 two-level and PAE, x86-64 4- and 5-level.
 *
 * Operations (one abstract op {k, a, b, c} each; `k` picks the call, a/b/c every choice in it,
 * interpreted against the model's current state so that most calls aim at real regions):
 *   allocRegion       user and kernel; exact base (free gaps, next to regions, fresh parts of the
 *                     space so tables must be made, overlapping), search from 0 and AT_OR_OVER;
 *                     COMMIT or reserve-only; READWRITE or not; NO_EXECUTE; SMALL_PAGES; UC; WC;
 *                     FIXED targets with frames the test took from the bitmap first (and mapped
 *                     twice on purpose); 1 page to 8 MiB (reserve-only up to 1 GiB), 2/4 MiB-aligned
 *                     ones so large pages happen; and invalid calls (zero, unaligned, wrong USER
 *                     flag, non-canonical, wrap-around, unknown flags, Target without owner...);
 *   allocKernelRegion;
 *   resizeRegion      grow (same or other flags, FIXED targets growing with the region) and shrink
 *                     (cutting large pages), over one region or several adjacent ones; invalid ones;
 *   freeRegion        whole regions, heads, tails, middles, spans of adjacent regions; double frees,
 *                     partly free ranges, unaligned, zero size, non-canonical;
 *   protectRegion     new rights (READWRITE, NO_EXECUTE, both, neither) for whole regions, heads,
 *                     tails, a few pages inside large pages (split at both ends), spans over
 *                     adjacent regions with reserved-only parts; invalid ones (flags it does not
 *                     take, the wrong side, unaligned, zero or huge sizes, free pages in the range,
 *                     set-up windows and I/O mappings: ERR_PERMISSION, non-canonical, across the
 *                     split); failure injection hits the splits' tables;
 *   mapIOMemory       device memory beyond RAM, the reserved low frames, RAM with IO_ALLOW_RAM (the
 *                     test's frames or anybody's) and without (refused), UC / WC / write-back,
 *                     sub-page offsets, large-page sized and aligned ones; invalid ones (UC with
 *                     WC, unknown flags, zero, huge and wrapping sizes, physical addresses past
 *                     2^52 or past the mode's frames); now and then a burst of one-page mappings
 *                     until the registry is full (ERR_POOL_EXHAUSTED), most removed again;
 *   unmapIOMemory     live mappings (exact, or another size touching the same pages), another page
 *                     count, not a first page, double unmaps, ordinary regions, bad sizes;
 *   mapLinearToPhysical, isRegionFree, findFreeRegion (valid and invalid arguments);
 *   context switches (CR3 to the kernel's or the user's root), process exit and start (the user
 *   root released with addressSpaceRelease, its space destroyed, a new one made and selected),
 *   frames taken / given back by the test, and allocation-failure injection (frameInjectFailure(k) before a changing call: the call
 *   either succeeds as the model says or fails with ERR_OUT_OF_MEMORY and changes nothing).
 *
 * What is checked, and how often. Every run starts from a fresh machine (setUpRegions*, 128 MiB,
 * the user root in CR3) and checks the set-up itself, then after each operation:
 *
 *   EVERY step of EVERY run (light checks):
 *   - the result (and pairHi where it carries an address's high half) is what the model says;
 *   - frame equation: frameFreeCount() + the model's fresh mapped pages + the frames the test holds
 *     + the tables of both roots (counted by reading the interior tables in physical memory) =
 *     frameTotalCount() - no frame leaked, none counted twice;
 *   - the MMU on 2-3 pages (a recently touched one, a mapped one, a recently freed one):
 *     machine.translate() for read, write and fetch from ring 0 and ring 3 agrees with the model
 *     (allowed exactly as the rights asked, present or not, the frame), and one probe through the
 *     TLB agrees too (it also fills the TLB, so later frees have something to invalidate);
 *   - machine.staleTlbEntries() is empty: no stale translation in the active root.
 *
 *   DEEP checks: every step of the full-check runs (FULL_CHECK_PERCENT of the runs, drawn
 *   uniformly), every DEEP_EVERY-th step of the other runs, the set-up and the last step:
 *   - the test's walker over both roots (physical memory, the real entry formats) against the
 *     model page by page: every mapped page maps its frame (FIXED and I/O: the target's; fresh:
 *     the frame first seen, which must never change, e.g. across splits) with exactly the rights
 *     asked or last given by protectRegion (the model cuts its extents at a protected range's
 *     ends) - write, user, NX (not in two-level) - so no page has a wider right than the model
 *     says, nor a narrower one (I/O mappings: kernel, writable, NX); PCD/PWT
 *     exactly for UC/WC; no large leaf in a SMALL_PAGES region; no page mapped that the model does
 *     not map; the set-up's mappings unchanged; kernel space identical from both roots; nothing in
 *     user space in the kernel's root;
 *   - frames, from the bitmap's own storage word by word: every allocated frame is exactly one of
 *     a table (either root), a frame of a mapped non-FIXED page, a frame the test holds; FIXED
 *     pages map only frames the test holds (or device memory); I/O mappings own nothing (device
 *     memory, or RAM they were allowed to map: never freed); no free or reserved frame is used; frameFreeCount()
 *     equals the free bits;
 *   - every table's frame counter equals its present entries (+ TABLE_PINNED for the pinned kernel
 *     tables); no table but roots and pinned tables is empty (emptied tables are released).
 *   In addition, at those steps:
 *   - the free-space index of both spaces lists exactly the model's free ranges and passes
 *     virtualSpaceCheck - every FULL_INDEX_EVERY-th step of full-check runs, every deep check of
 *     the others;
 *   - machine.listMappings() of the active root (the MMU's own enumeration, through PAE's PDPTE
 *     registers) equals the walker's view, and the set-up's own page tables (not read by the
 *     walker every step) are unchanged word for word - every FULL_LIST_EVERY-th step of full-check
 *     runs, and at the set-up and the end of every run (listMappings costs 6-17 ms in three modes).
 *
 *   Calls made with an injected failure: everything above that a failed call could change (tables
 *   and their counters, both roots' leaves, the bitmap, the free count, both indexes) is digested
 *   before the call, and if the call fails, it must be ERR_OUT_OF_MEMORY and the digest unchanged.
 *
 * Files: this harness holds the machinery; test/host/regions-property-<mode>.test.ts runs it for
 * one paging mode each (so that vitest can give each mode its own worker and each file stays
 * short), and test/host/regions-property.test.ts holds the minimal reproductions of the bugs found.
 *
 * The light checks (the MMU on sampled pages, stale TLB entries) see protectRegion's changes as
 * soon as the model's rights are the new ones: a protected range's pages are "touched" (probed on
 * the next steps), so a missing flush shows as a stale entry, a wrong right as a fault or an
 * access the model forbids.
 *
 * Counts: OPS_PER_MODE random operations per mode (10^5 by default; TSMM_REGIONS_OPS overrides
 * it), in runs of STEPS operations on average (lengths 1 .. 2 * STEPS - 1) from a fresh machine
 * each. Measured on the development machine, one core: 10^5 operations take about 43 s in
 * two-level mode, 25 s in PAE, 45 s in 4-level and 48 s in 5-level mode. Per mode, in this order
 * and each in its own test: the REGRESSION_SEEDS (test/fixtures/regions-seeds.ts), two runs of each
 * FIXED_SEED, then runs from seeds derived from the base seed until OPS_PER_MODE operations have
 * run. The base seed is FRESH on every run (drawn at random and printed:
 * "[regions <mode>] base seed N"); TSMM_REGIONS_SEED=N fixes it, and replays the whole test of a
 * mode exactly: `TSMM_REGIONS_SEED=N npx vitest run test/host/regions-property-<mode>.test.ts`.
 * Each mode prints a summary: seed, ops, runs, calls, errors, injected failures, large leaves, time,
 * and the outcomes of protectRegion, mapIOMemory and unmapIOMemory by result.
 *
 * The runs are asynchronous: fast-check's async runner, and the test yields to the event loop
 * (setImmediate) before every run, every YIELD_EVERY steps of a run and before every shrinking try, so vitest's worker keeps answering its
 * RPCs (a synchronous 20,000-op test once failed the whole vitest run with "Timeout calling
 * onTaskUpdate": the worker's event loop was blocked for more than a minute). Per-test timeouts are
 * generous (RANDOM_TIMEOUT_MS: a slow CI day must not fail the test).
 *
 * A failure names the mode, the seed, fast-check's path and the failing step, then shrinks the
 * sequence (ops after the failing step dropped, then chunks of ops while it fails the same way, for
 * at most SHRINK_SECONDS; TSMM_REGIONS_NO_SHRINK=1 skips it) and prints it ready to paste into the
 * fixtures. TSMM_REGIONS_FULL sets the share of full-check runs; TSMM_REGIONS_IGNORE looks past
 * known bugs while hunting for others (IGNORED).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { webcrypto } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import {
  allocKernelRegion,
  allocRegion,
  findFreeRegion,
  freeRegion,
  isRegionFree,
  mapLinearToPhysical,
  protectRegion,
  regionsUseUserSpace,
  resizeRegion,
} from '../../src/region/regions.ts';
import { mapIOMemory, unmapIOMemory } from '../../src/region/io-mappings.ts';
import { frameAllocContiguous, frameFreeCount, frameFreeRange, frameInjectFailure, frameIsFree, frameTotalCount } from '../../src/memory/frame-bitmap.ts';
import { REGION_COMMIT, REGION_FIXED, REGION_READWRITE, REGION_SMALL_PAGES, REGION_UC, REGION_USER, REGION_WC } from '../../src/region/region-flags.ts';
import { frameCounterGet } from '../../src/memory/frame-counters.ts';
import { virtualSpaceCheck } from '../../src/region/virtual-space-check.ts';
import {
  virtualSpaceCreate,
  virtualSpaceDestroy,
  virtualSpaceFirstRange,
  virtualSpaceNextRange,
  virtualSpaceRangeEnd,
} from '../../src/region/virtual-space.ts';
import { addressSpaceCreate, addressSpaceRelease } from '../../src/paging/address-spaces.ts';
import { pairHi } from '../../src/int64/pair.ts';
import { TABLE_PINNED } from '../../src/paging/walker.ts';
import * as E from '../../src/errors.ts';
import { errorName } from '../support/errors.ts';
import { FIXED_SEEDS, REGRESSION_SEEDS } from '../fixtures/regions-seeds.ts';
import {
  MODES,
  OP_KINDS,
  PAGE_BYTES,
  RegionOpGenerator,
  TOP_PAGE,
  addressToPage,
  bitIsSet,
  callArgs,
  countTables,
  describeCall,
  expectCall,
  expectedResult,
  hexAddress,
  hexPage,
  layoutFor,
  mergeRuns,
  pageToAddress,
  readBitmap,
  toAddress,
  toPair,
  walkTables,
  type CallExpectation,
  type GeneratorHost,
  type HeldRun,
  type ModeName,
  type ModelLayout,
  type RawLeaf,
  type RawWalk,
  type RegionCall,
  type RegionModel,
  type RegionOp,
} from './regions-model.ts';

const API: Record<RegionCall['fn'], (...args: number[]) => number> = {
  allocRegion,
  allocKernelRegion,
  freeRegion,
  resizeRegion,
  mapLinearToPhysical,
  isRegionFree,
  findFreeRegion,
  protectRegion,
  mapIOMemory,
  unmapIOMemory,
};

/** Calls whose success is ERR_NONE (pairHi means nothing after them). */
const NO_HIGH_HALF: ReadonlySet<RegionCall['fn']> = new Set(['isRegionFree', 'freeRegion', 'protectRegion', 'unmapIOMemory']);

const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

// ---- knobs -----------------------------------------------------------------------------------

export const RAM_BYTES = 128 * 1024 * 1024;
/** Mean operations per run (lengths are drawn from 1 .. 2 * STEPS - 1). */
const STEPS = 1000;
/** Random operations per mode (the fixed and regression seeds come on top). */
export const OPS_PER_MODE = Number(process.env.TSMM_REGIONS_OPS ?? 100_000);
/** Timeout of the random test of a mode: 10^5 ops take under a minute; a slow CI day must not fail it. */
const RANDOM_TIMEOUT_MS = 20 * 60_000;
/** Timeout of the regression and fixed-seed tests (a failure shrinks for up to SHRINK_SECONDS). */
const REPLAY_TIMEOUT_MS = 10 * 60_000;
/** At most this many fast-check runs per seed (a seed's runs are replayed together by its path). */
const RUNS_PER_SEED = 25;
/** Share of runs (percent) that run the full checks after every step. */
const FULL_CHECK_PERCENT = Number(process.env.TSMM_REGIONS_FULL ?? 10);
/** In a full-check run, listMappings() every this many steps (and at the end of every run). */
const FULL_LIST_EVERY = 25;
/** In a full-check run, the free-space index is compared with the model every this many steps. */
const FULL_INDEX_EVERY = 5;
/** In the other runs: the deep and full checks every this many steps (listMappings at the end of the run). */
const DEEP_EVERY = 40;
/** Registry bytes of the I/O mappings (ioMappingsInit in test/support/paging-setup.ts): 16-byte slots. */
const IO_REGISTRY_BYTES = 16384;
/** Budget of the test's own memory use: mapped fresh pages, and frames held for FIXED. */
const OWN_PAGES_CAP = 9000;
const HELD_FRAMES_CAP = 4096;
const EXTENTS_CAP = 60;
/**
 * Steps between yields to the event loop inside a run: a full-check run over gigabytes of device
 * memory in 4 KiB pages once took 53 s, close to vitest's 60-second RPC timeout.
 */
const YIELD_EVERY = 50;
/** Time shrinking a failure may take (TSMM_REGIONS_SHRINK_SECONDS). */
const SHRINK_SECONDS = Number(process.env.TSMM_REGIONS_SHRINK_SECONDS ?? 120);
/**
 * Open bugs (reported, reproductions pending a fix in src/): their tags are IGNORED unless
 * TSMM_REGIONS_IGNORE says otherwise (TSMM_REGIONS_IGNORE= with nothing runs every call). None
 * now: io-high (bug 7: mapIOMemory cut physical addresses its frames or entries cannot hold) and
 * resize-window (bug 8: growing a set-up window succeeded) are fixed. Add a tag here while a
 * found bug waits for its fix.
 */
const OPEN_BUGS = '';
/**
 * Known bugs to look past while hunting for others (comma-separated tags; never set in `make
 * test`): kernel-tlb - stale TLB entries of kernel pages while a user root is loaded (bug 1);
 * resize-wrap - no growing past the top of kernel space (bug 2); find-unaligned - no unaligned
 * findFreeRegion starts in free pages (bug 3) - these three are fixed (c40e298); find-edge - only
 * page-aligned findFreeRegion starts (bug 6: an unaligned start next to a space's edge).
 */
const IGNORED = new Set((process.env.TSMM_REGIONS_IGNORE ?? OPEN_BUGS).split(',').filter((t) => t !== ''));

// ---- small helpers ---------------------------------------------------------------------------

/** A failed check (or any error thrown while running), with the step it happened at. */
class CheckFailure extends Error {
  constructor(
    message: string,
    readonly step: number,
    /** What failed, with the numbers taken out: the same bug gives the same signature. */
    readonly signature: string,
  ) {
    super(message);
  }
}

const popcount = (x: number): number => {
  let v = x - ((x >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) | 0;
};

const hexFrame = (frame: number): string => `frame 0x${frame.toString(16)}`;

/** What an access of `kind` (0 read, 1 write, 2 fetch) from ring 3 or ring 0 may do (CR0.WP=1, no SMEP/SMAP). */
const allowed = (rights: { write: boolean; user: boolean; nx: boolean }, kind: number, user: boolean): boolean => {
  if (user && !rights.user) return false;
  if (kind === 1) return rights.write;
  if (kind === 2) return !rights.nx;
  return true;
};


interface SetupBaseline {
  /** Tables of the set-up not read every step (the low-memory map's page tables). */
  skip: Set<number>;
  skipWords: Map<number, Int32Array>;
  /** The set-up's leaves (in baseline ranges) seen from a user root and from the kernel's root. */
  baselineLeaves: { user: string; kernel: string };
  /** listMappings() leaves of a user root at set-up (all in baseline ranges). */
  listedBaseline: number;
  /** Tables whose counter holds TABLE_PINNED. */
  pinned: Set<number>;
  /** Large leaves of the set-up (in a walk of both roots). */
  largeLeaves: number;
}

const leafKey = (l: RawLeaf): string => `${l.page}:${l.frame}:${l.pages}:${l.write ? 'w' : '-'}${l.user ? 'u' : '-'}${l.nx ? 'x' : '-'}`;

// ---- one run ---------------------------------------------------------------------------------

/** A fresh machine, the model, and everything a run of operations needs. */
class Run implements GeneratorHost {
  readonly s: RegionSetup;
  readonly layout: ModelLayout;
  readonly gen: RegionOpGenerator;
  readonly frames: number;
  readonly total: number;
  readonly base: SetupBaseline;
  activeRoot: number;
  step = 0;
  readonly log: string[] = [];
  walk!: RawWalk;
  stats = { largeLeaves: 0, listMappings: 0 };

  get model(): RegionModel {
    return this.gen.model;
  }
  get held(): HeldRun[] {
    return this.gen.held;
  }
  get hot(): number[] {
    return this.gen.hot;
  }
  get recentlyFreed(): { page: number; pages: number }[] {
    return this.gen.recentlyFreed;
  }

  constructor(
    readonly mode: ModeName,
    readonly full: boolean,
  ) {
    this.s =
      mode === 'two-level' || mode === 'pae'
        ? setUpRegionsI386(mode, RAM_BYTES)
        : setUpRegionsX86_64(mode === 'five-level' ? 5 : 4, RAM_BYTES);
    this.frames = this.s.frames;
    this.total = frameTotalCount();
    this.activeRoot = this.s.userRoot;
    this.s.machine.writeCr3(this.s.userRoot * 4096, 0);
    this.layout = layoutFor(mode, addressToPage(toAddress(this.s.kernelRegionsLo, this.s.kernelRegionsHi)));
    this.layout.ramFrames = this.s.frames;
    this.readSetupLayout();
    this.gen = new RegionOpGenerator(this.layout, this, { ownPages: OWN_PAGES_CAP, heldFrames: HELD_FRAMES_CAP, extents: EXTENTS_CAP, avoid: IGNORED });
    this.base = this.recordBaseline();
  }

  /** The set-up's mappings (baseline) and taken ranges, as the machine and the index show them. */
  private readSetupLayout(): void {
    const { machine, userRoot, kernelRoot, userSpace, kernelSpace } = this.s;
    const walk = walkTables(machine, this.mode, [userRoot, kernelRoot]);
    const leaves = [...walk.leaves.values()].flat().sort((a, b) => a.page - b.page);
    const baseline: { start: number; end: number; firstFrame: number }[] = [];
    for (const l of leaves) {
      const last = baseline[baseline.length - 1];
      if (last !== undefined && l.page < last.end) continue; // the same leaf seen from the other root
      if (last !== undefined && l.page === last.end && l.frame === last.firstFrame + (last.end - last.start)) last.end = l.page + l.pages;
      else baseline.push({ start: l.page, end: l.page + l.pages, firstFrame: l.frame });
    }
    this.layout.baseline = baseline;
    for (const [space, bounds] of [
      [userSpace, this.layout.user],
      [kernelSpace, this.layout.kernel],
    ] as const) {
      let at = bounds.start;
      for (const free of this.indexFreePages(space)) {
        if (free.start > at) this.layout.setupTaken.push({ start: at, end: free.start });
        at = free.end;
      }
      if (at < bounds.end) this.layout.setupTaken.push({ start: at, end: bounds.end });
    }
    this.layout.ioWindows = this.layout.setupTaken.filter((t) => !baseline.some((b) => t.start >= b.start && t.end <= b.end));
    this.layout.ioSlots = IO_REGISTRY_BYTES / 16;
    // the bitmap's reserved frames (mapIOMemory maps them without IO_ALLOW_RAM)
    const { reserved } = readBitmap(machine, this.s.frames);
    for (let f = 0; f < this.s.frames; f++) {
      if (!bitIsSet(reserved, f)) continue;
      const last = this.layout.reservedFrames[this.layout.reservedFrames.length - 1];
      if (last !== undefined && last.end === f) last.end = f + 1;
      else this.layout.reservedFrames.push({ start: f, end: f + 1 });
    }
  }

  /** The free ranges of a space's index, as pages (through the manager's own queries). */
  private indexFreePages(space: number): { start: number; end: number }[] {
    const out: { start: number; end: number }[] = [];
    let start = virtualSpaceFirstRange(space);
    let startHi = pairHi;
    while (E.isErrorCode(start) === 0) {
      const end = virtualSpaceRangeEnd(space, start, startHi);
      const endHi = pairHi;
      const endAddress = toAddress(end, endHi);
      out.push({ start: addressToPage(toAddress(start, startHi)), end: endAddress === 0n ? TOP_PAGE : addressToPage(endAddress) });
      const next = virtualSpaceNextRange(space, start, startHi);
      startHi = pairHi;
      start = next;
      if (out.length > 10000) throw new Error('free-space index: endless range list');
    }
    return out;
  }

  private recordBaseline(): SetupBaseline {
    const { machine, userRoot, kernelRoot } = this.s;
    const first = walkTables(machine, this.mode, [userRoot, kernelRoot]);
    const inBaseline = (page: number, pages: number): boolean => this.layout.baseline.some((r) => page >= r.start && page + pages <= r.end);
    const skip = new Set<number>();
    const skipWords = new Map<number, Int32Array>();
    for (const t of first.tables.values()) {
      if (t.level === 1 && inBaseline(t.page, t.span)) {
        skip.add(t.frame);
        skipWords.set(t.frame, Int32Array.from(machine.memory.frameWords(t.frame) ?? new Int32Array(1024)));
      }
    }
    const walk = walkTables(machine, this.mode, [userRoot, kernelRoot], skip);
    const baselineOf = (root: number): string =>
      walk.leaves
        .get(root)!
        .filter((l) => inBaseline(l.page, l.pages))
        .map(leafKey)
        .join(',');
    const baselineLeaves = { user: baselineOf(userRoot), kernel: baselineOf(kernelRoot) };
    const listedBaseline = machine.listMappings().length;
    const pinned = new Set<number>();
    for (const t of walk.tables.values()) if (frameCounterGet(t.frame) >= TABLE_PINNED) pinned.add(t.frame);
    return { skip, skipWords, baselineLeaves, listedBaseline, pinned, largeLeaves: walk.largeLeaves };
  }

  // ---- reporting -----------------------------------------------------------------------------

  note(text: string): void {
    this.log.push(`#${this.step} ${text}`);
    if (this.log.length > 14) this.log.shift();
  }

  failure(what: string): CheckFailure {
    return new CheckFailure(
      `[${this.mode}] step ${this.step}: ${what}\n--- last calls:\n${this.log.join('\n')}\n--- model:\n${this.model.describe()}\n--- held: ${this.held
        .map((h) => `${hexFrame(h.first)}+${h.count}`)
        .join(' ')}`,
      this.step,
      what.replace(/0x[0-9a-f]+|\d+/g, '#'),
    );
  }

  // ---- the generator's host: every call made and compared with the model ---------------------

  call(c: RegionCall, expected: CallExpectation): { result: number; hi: number } {
    const inject = 'inject' in c ? c.inject : 0;
    let exp = expected;
    if (exp.fn === 'translate' && 'unknown' in exp.expectation) {
      this.learnFrames(); // a fresh page's frame, not observed yet
      exp = expectCall(this.model, c);
    }
    const before = inject > 0 ? this.snapshot() : null;
    if (inject > 0) frameInjectFailure(inject);
    const result = API[c.fn](...callArgs(c));
    const hi = pairHi;
    frameInjectFailure(0);
    const call = describeCall(c);
    const shown = E.isErrorCode(result) === 1 ? errorName(result) : hexAddress(toAddress(result, NO_HIGH_HALF.has(c.fn) ? 0 : hi));
    const injected = inject > 0 ? ` [k=${inject} injected]` : '';
    if (exp.fn === 'resize' && 'ok' in exp.expectation && exp.expectation.kind === 'equal') {
      // equal sizes: nothing to do; ERR_NONE or the base (not specified)
      this.note(`${call} -> ${shown} (model: no change)`);
      const [lo, h] = toPair((c as { base: bigint }).base);
      if (result !== E.ERR_NONE && !(result === lo && hi === h)) throw this.failure(`${call} with equal sizes returned ${shown}`);
      return { result, hi };
    }
    let want = expectedResult(exp);
    if (want === null) {
      // a successful resize returns its base
      const [lo, h] = toPair((c as { base: bigint }).base);
      want = { ok: true, lo, hi: h };
    }
    if ('error' in want) {
      this.note(`${call} -> ${shown} (model: ${errorName(want.error)})${injected}`);
      if (result !== want.error) throw this.failure(`${call} returned ${shown}, the model expects ${errorName(want.error)}`);
      if (before !== null) this.expectUnchanged(before, call);
      return { result, hi };
    }
    const wantShown = c.fn === 'isRegionFree' ? String(want.lo) : hexAddress(toAddress(want.lo, want.hi));
    this.note(`${call} -> ${c.fn === 'isRegionFree' ? result : shown} (model: ${wantShown})${injected}`);
    if (result === E.ERR_OUT_OF_MEMORY) {
      if (before === null) throw this.failure(`${call}: ERR_OUT_OF_MEMORY without an injected failure`);
      this.expectUnchanged(before, call); // the injected failure hit: nothing may have changed
      return { result, hi };
    }
    const compareHi = !NO_HIGH_HALF.has(c.fn);
    if (result !== want.lo || (compareHi && hi !== want.hi)) throw this.failure(`${call} returned ${c.fn === 'isRegionFree' ? result : shown}, the model expects ${wantShown}`);
    return { result, hi };
  }

  takeFrames(count: number, align: number): number {
    return frameAllocContiguous(count, align);
  }

  newProcess(): boolean {
    const { machine, kernelRoot } = this.s;
    const oldRoot = this.s.userRoot;
    const oldSpace = this.s.userSpace;
    if (this.activeRoot === oldRoot) {
      machine.writeCr3(kernelRoot * 4096, 0); // a root in CR3 cannot be released
      this.activeRoot = kernelRoot;
    }
    const released = addressSpaceRelease(oldRoot);
    const destroyed = virtualSpaceDestroy(oldSpace);
    const root = addressSpaceCreate();
    const [startLo, startHi] = toPair(pageToAddress(this.layout.user.start));
    const [endLo, endHi] = toPair(pageToAddress(this.layout.user.end));
    const space = virtualSpaceCreate(startLo, startHi, endLo, endHi);
    this.note(`process exit: addressSpaceRelease -> ${errorName(released)}, virtualSpaceDestroy -> ${destroyed}; new root ${root}, space ${space}`);
    if (released !== E.ERR_NONE) throw this.failure(`addressSpaceRelease(user root) returned ${errorName(released)}`);
    if (destroyed < 1) throw this.failure(`virtualSpaceDestroy(user space) returned ${errorName(destroyed)}`);
    if (root < 0 || space < 0) throw this.failure(`a new process: addressSpaceCreate ${errorName(root)}, virtualSpaceCreate ${errorName(space)}`);
    regionsUseUserSpace(root, space);
    this.s.userRoot = root;
    this.s.userSpace = space;
    machine.writeCr3(root * 4096, 0);
    this.activeRoot = root;
    return true;
  }

  freeFrames(first: number, count: number): number {
    const result = frameFreeRange(first, count);
    if (result !== E.ERR_NONE) throw this.failure(`frameFreeRange of the test's frames ${hexFrame(first)}+${count}: ${errorName(result)}`);
    return result;
  }

  switchRoot(): void {
    const { machine, userRoot, kernelRoot } = this.s;
    this.activeRoot = this.activeRoot === userRoot ? kernelRoot : userRoot;
    machine.writeCr3(this.activeRoot * 4096, 0);
    this.note(`CR3 <- ${this.activeRoot === userRoot ? 'user' : 'kernel'} root`);
  }

  // ---- checks --------------------------------------------------------------------------------

  /** Everything a failed call must leave as it was (tables, counters, leaves, bitmap, index), as a digest. */
  private snapshot(): string {
    const { machine, userRoot, kernelRoot, userSpace, kernelSpace } = this.s;
    const walk = walkTables(machine, this.mode, [userRoot, kernelRoot], this.base.skip);
    const tables = [...walk.tables.values()].map((t) => `${t.frame}/${t.level}/${t.present}/${frameCounterGet(t.frame)}`).sort();
    const leaves = [...walk.leaves.entries()].map(([root, list]) => {
      let h = 0x811c9dc5;
      for (const l of list) {
        for (const v of [l.page % 2 ** 32, Math.floor(l.page / 2 ** 32), l.frame, l.pages, (l.write ? 1 : 0) | (l.user ? 2 : 0) | (l.nx ? 4 : 0) | (l.foreign ? 8 : 0)]) {
          h = Math.imul(h ^ (v | 0), 0x01000193);
        }
      }
      return `${root}:${list.length}:${h >>> 0}`;
    });
    const bitmap = readBitmap(machine, this.frames);
    let used = 0x811c9dc5;
    for (let k = 0; k < bitmap.used.length; k++) used = Math.imul(used ^ bitmap.used[k]!, 0x01000193);
    return JSON.stringify({
      tables,
      leaves,
      used: used >>> 0,
      free: frameFreeCount(),
      user: this.indexRanges(userSpace),
      kernel: this.indexRanges(kernelSpace),
    });
  }

  private expectUnchanged(before: string, call: string): void {
    const after = this.snapshot();
    if (after !== before) {
      const a = JSON.parse(before) as Record<string, unknown>;
      const b = JSON.parse(after) as Record<string, unknown>;
      const differs = Object.keys(a).filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k]));
      throw this.failure(`${call} failed but changed: ${differs.join(', ')}`);
    }
  }

  /** The free ranges the index lists for a space (through the manager's own queries). */
  private indexRanges(space: number): string[] {
    const out: string[] = [];
    let start = virtualSpaceFirstRange(space);
    let startHi = pairHi;
    while (E.isErrorCode(start) === 0) {
      const end = virtualSpaceRangeEnd(space, start, startHi);
      const endHi = pairHi;
      out.push(`${hexAddress(toAddress(start, startHi))}-${hexAddress(toAddress(end, endHi))}`);
      const next = virtualSpaceNextRange(space, start, startHi);
      startHi = pairHi;
      start = next;
      if (out.length > 10000) throw this.failure('free-space index: endless range list');
    }
    if (start !== E.ERR_NO_FREE_REGION) throw this.failure(`free-space index listing ended with ${errorName(start)}`);
    return out;
  }

  /**
   * After a step: the light checks always (the frame equation from the table count, the MMU on
   * sampled pages, stale TLB entries); with `deep`, the walk of every table and leaf against the
   * model and the bitmap frame by frame; with `full`, also the counters, the free-space index and
   * (with listMappings) the MMU's own enumeration.
   */
  check(deep: boolean, full: boolean, listMappings: boolean, index = full): void {
    const { machine, userRoot, kernelRoot } = this.s;
    if (deep || full) {
      const walk = walkTables(machine, this.mode, [userRoot, kernelRoot], this.base.skip);
      this.walk = walk;
      if (walk.problems.length > 0) throw this.failure(`page tables: ${walk.problems.join('; ')}`);
      this.checkLeaves(walk);
      this.checkFrames(walk);
    } else {
      // the frame equation: free + fresh mapped pages + held + tables = total
      const tables = countTables(machine, this.mode, [userRoot, kernelRoot], this.base.skip);
      const own = this.model.mappedPages().own;
      const held = this.gen.heldCount();
      if (frameFreeCount() + own + held + tables !== this.total) {
        throw this.failure(`frames: ${frameFreeCount()} free + ${own} mapped + ${held} held + ${tables} tables != ${this.total} total`);
      }
    }
    this.checkMmu();
    let stale = machine.staleTlbEntries();
    if (IGNORED.has('kernel-tlb') && this.activeRoot !== kernelRoot) stale = stale.filter((e) => Number(e.linear / PAGE_BYTES) < this.layout.kernel.start);
    if (stale.length > 0) {
      throw this.failure(
        `stale TLB entries in the active root (${this.activeRoot === userRoot ? 'user' : 'kernel'}): ${stale
          .slice(0, 4)
          .map((e) => `${hexAddress(e.linear)} cached ${hexFrame(e.cached.frameBase / 4096)} w=${e.cached.writable} u=${e.cached.user}, now ${e.fresh.ok ? hexFrame(e.fresh.physical / 4096) : 'not mapped'}`)
          .join('; ')}`,
      );
    }
    if (full) this.checkFull(this.walk, listMappings, index);
  }

  /** Learns the frames of fresh pages (a walk of the tables against the model). */
  learnFrames(): void {
    const { machine, userRoot, kernelRoot } = this.s;
    this.checkLeaves(walkTables(machine, this.mode, [userRoot, kernelRoot], this.base.skip));
  }

  private isBaseline(page: number, pages: number): boolean {
    return this.layout.baseline.some((r) => page >= r.start && page + pages <= r.end);
  }

  /** The model's mapped pages against the walker's leaves, for both roots. */
  private checkLeaves(walk: RawWalk): void {
    const { userRoot, kernelRoot } = this.s;
    const userLeaves = walk.leaves.get(userRoot)!;
    const kernelLeaves = walk.leaves.get(kernelRoot)!;
    const kernelStart = this.layout.kernel.start;
    const split = (leaves: RawLeaf[]): { user: RawLeaf[]; kernel: RawLeaf[]; baseline: string } => {
      const user: RawLeaf[] = [];
      const kernel: RawLeaf[] = [];
      const baseline: string[] = [];
      for (const l of leaves) {
        if (this.isBaseline(l.page, l.pages)) baseline.push(leafKey(l));
        else if (l.page >= kernelStart) kernel.push(l);
        else user.push(l);
      }
      return { user, kernel, baseline: baseline.join(',') };
    };
    const u = split(userLeaves);
    const k = split(kernelLeaves);
    if (u.baseline !== this.base.baselineLeaves.user || k.baseline !== this.base.baselineLeaves.kernel) {
      throw this.failure('the set-up\'s mappings changed');
    }
    if (k.user.length > 0) throw this.failure(`the kernel's root maps user space: ${hexPage(k.user[0]!.page)}`);
    const same = (a: RawLeaf, b: RawLeaf): boolean =>
      a.page === b.page && a.frame === b.frame && a.pages === b.pages && a.write === b.write && a.user === b.user && a.nx === b.nx;
    const differs = u.kernel.length !== k.kernel.length ? 0 : u.kernel.findIndex((l, i) => !same(l, k.kernel[i]!));
    if (u.kernel.length !== k.kernel.length || differs >= 0) {
      const at = u.kernel[Math.max(0, differs)] ?? k.kernel[0];
      throw this.failure(`kernel space differs between the user root (${u.kernel.length} leaves) and the kernel root (${k.kernel.length})${at ? ` near ${hexPage(at.page)}` : ''}`);
    }
    const leaves = [...u.user, ...k.kernel];
    this.stats.largeLeaves += walk.largeLeaves - this.base.largeLeaves;
    // every mapped page of the model, in address order, against the leaves (also in address order)
    let li = 0;
    let leafPages = 0;
    for (const l of leaves) leafPages += l.pages;
    let modelPages = 0;
    for (const e of this.model.extents) {
      if (!e.committed) continue;
      const rights = this.model.rightsOf(e);
      const frames = e.frames!;
      let p = 0;
      while (p < e.pages) {
        const page = e.start + p;
        while (li < leaves.length && leaves[li]!.page + leaves[li]!.pages <= page) li++;
        const leaf = leaves[li];
        if (leaf === undefined || leaf.page > page) throw this.failure(`${hexPage(page)} (region #${e.serial}) is not mapped`);
        if (leaf.write !== rights.write || leaf.user !== rights.user || leaf.nx !== rights.nx) {
          throw this.failure(
            `${hexPage(page)} has rights w=${leaf.write} u=${leaf.user} nx=${leaf.nx}, asked w=${rights.write} u=${rights.user} nx=${rights.nx} (region #${e.serial})`,
          );
        }
        if (leaf.large && (e.flags & REGION_SMALL_PAGES) !== 0) throw this.failure(`${hexPage(page)} is in a large page, region #${e.serial} asked for SMALL_PAGES`);
        if (leaf.uncached !== ((e.flags & REGION_UC) !== 0) || leaf.writeThrough !== ((e.flags & REGION_WC) !== 0)) {
          throw this.failure(`${hexPage(page)} has PCD=${leaf.uncached} PWT=${leaf.writeThrough}, region #${e.serial} has flags ${e.flags}`);
        }
        // the part of the extent this leaf maps
        const to = Math.min(e.pages, leaf.page + leaf.pages - e.start);
        const delta = leaf.frame - leaf.page + e.start; // frame of page index q is delta + q
        for (let q = p; q < to; q++) {
          const known = frames[q]!;
          if (known === delta + q) continue;
          if (known < 0) frames[q] = delta + q;
          else throw this.failure(`${hexPage(e.start + q)} maps ${hexFrame(delta + q)}, it was ${hexFrame(known)}`);
        }
        modelPages += to - p;
        p = to;
      }
    }
    if (leafPages !== modelPages) {
      const mapped = new Set<number>();
      for (const e of this.model.extents) if (e.committed) for (let p = 0; p < e.pages; p++) mapped.add(e.start + p);
      const extra = leaves.find((l) => {
        for (let p = 0; p < l.pages; p++) if (!mapped.has(l.page + p)) return true;
        return false;
      });
      throw this.failure(`${leafPages} pages mapped, the model has ${modelPages}${extra ? `: ${hexPage(extra.page)} (${extra.pages} pages) is not the model's` : ''}`);
    }
  }

  /** Frame ownership: tables, mapped pages, the test's frames, against the bitmap's storage. */
  private checkFrames(walk: RawWalk): void {
    const words = Math.ceil(this.frames / 32);
    // one bit per frame and owner kind: tables, frames of mapped (non-FIXED) pages, the test's
    const tables = new Int32Array(words);
    const pages = new Int32Array(words);
    const held = new Int32Array(words);
    const problems: string[] = [];
    const ramFrames = this.frames;
    /** Marks a frame as owned; false (the caller reports it) when outside RAM or already owned. */
    const mark = (set: Int32Array, frame: number): boolean => {
      if (frame < 0 || frame >= ramFrames) return false;
      const bit = 1 << (frame & 31);
      const w = frame >> 5;
      const taken = ((tables[w]! | pages[w]! | held[w]!) & bit) !== 0;
      set[w] = set[w]! | bit;
      return !taken;
    };
    const report = (frame: number, what: string): void => {
      if (frame < 0 || frame >= ramFrames) {
        problems.push(`${what}: ${hexFrame(frame)} is outside RAM`);
        return;
      }
      const bit = 1 << (frame & 31);
      const w = frame >> 5;
      // (the frame is marked already: the owners before it are the others that have it)
      const owners = [tables, pages, held].map((x, k) => ((x[w]! & bit) !== 0 ? ['a page table', 'a mapped page', 'the test'][k] : null)).filter((x) => x !== null);
      problems.push(`${what}: ${hexFrame(frame)} is already owned (owners now: ${owners.join(', ')})`);
    };
    for (const t of walk.tables.values()) if (!mark(tables, t.frame)) report(t.frame, `page table (level ${t.level}, ${hexPage(t.page)})`);
    for (const h of this.held) for (let f = h.first; f < h.first + h.count; f++) if (!mark(held, f)) report(f, 'held frame');
    for (const e of this.model.extents) {
      if (!e.committed || e.io !== undefined) continue; // I/O mappings: device memory, or RAM asked for - nobody's frames
      const frames = e.frames!;
      if (e.fixed && frames[0]! >= ramFrames && frames[e.pages - 1]! >= ramFrames) continue; // device memory beyond RAM (up to 2 GiB): nobody's frames
      for (let p = 0; p < e.pages; p++) {
        const f = frames[p]!;
        if (!e.fixed) {
          if (!mark(pages, f)) report(f, `${hexPage(e.start + p)} (region #${e.serial})`);
        } else if (f >= this.frames) continue; // device memory beyond RAM: nobody's frame
        else if (f < 0 || ((held[f >> 5]! >>> (f & 31)) & 1) === 0) {
          problems.push(`FIXED ${hexPage(e.start + p)} maps ${hexFrame(f)}, which the test does not hold`);
        }
      }
      if (problems.length > 8) break;
    }
    const bitmap = readBitmap(this.s.machine, this.frames);
    let free = 0;
    for (let w = 0; w < words && problems.length < 8; w++) {
      const used = bitmap.used[w]!;
      const reserved = bitmap.reserved[w]!;
      const owned = tables[w]! | pages[w]! | held[w]!;
      free += popcount(~used);
      const bad = (reserved & owned) | (used & ~reserved & ~owned) | (~used & owned);
      if (bad === 0) continue;
      const frame = (w << 5) + (31 - Math.clz32(bad & -bad));
      const bit = 1 << (frame & 31);
      if ((reserved & bit) !== 0) problems.push(`${hexFrame(frame)} is reserved but in use`);
      else if ((used & bit) !== 0) problems.push(`${hexFrame(frame)} is allocated but owned by nobody (leaked)`);
      else problems.push(`${hexFrame(frame)} is free but in use (${(tables[w]! & bit) !== 0 ? 'a page table' : (pages[w]! & bit) !== 0 ? 'a mapped page' : 'held by the test'})`);
    }
    if (problems.length === 0 && free !== frameFreeCount()) problems.push(`frameFreeCount() ${frameFreeCount()} != ${free} free bits`);
    if (problems.length > 0) throw this.failure(`frames: ${problems.slice(0, 8).join('; ')}`);
  }

  /** The MMU's view of a few pages (hot ones first), through translate (pure) and probe (TLB). */
  private checkMmu(): void {
    const { machine, userRoot } = this.s;
    const pages: number[] = [];
    if (this.hot.length > 0) pages.push(this.hot[this.step % this.hot.length]!);
    const committed = this.model.extents.filter((e) => e.committed);
    if (committed.length > 0) {
      const e = committed[(this.step * 7919) % committed.length]!;
      pages.push(e.start + ((this.step * 104729) % e.pages));
    }
    const freed = this.recentlyFreed[this.step % Math.max(1, this.recentlyFreed.length)];
    if (freed !== undefined) pages.push(freed.page);
    for (const page of pages) {
      if (page < this.layout.kernel.start && this.activeRoot !== userRoot) continue; // not in this address space
      const hit = this.model.extentAt(page);
      const mapped = hit !== null && hit.extent.committed;
      const rights = mapped ? this.model.rightsOf(hit.extent) : null;
      const [lo, hi] = toPair(pageToAddress(page));
      for (let kind = 0; kind < 3; kind++) {
        for (const user of [false, true]) {
          const t = machine.translate(lo, hi, kind as 0 | 1 | 2, user);
          const want = rights !== null && allowed(rights, kind, user);
          if (t.ok !== want) {
            throw this.failure(`MMU: ${['read', 'write', 'fetch'][kind]} of ${hexPage(page)} from ring ${user ? 3 : 0}: ${t.ok ? 'allowed' : 'faults'}, the model says ${want ? 'allowed' : 'fault'}`);
          }
          if (t.ok && hit !== null) {
            const frame = hit.extent.frames![hit.index]!;
            if (frame >= 0 && t.physical !== frame * 4096) throw this.failure(`MMU: ${hexPage(page)} -> ${hexFrame(t.physical / 4096)}, model ${hexFrame(frame)}`);
          }
          if (!t.ok && t.fault.type === 'page-fault' && ((t.fault.errorCode & 1) === 1) !== mapped) {
            throw this.failure(`MMU: fault at ${hexPage(page)} with P=${t.fault.errorCode & 1}, mapped=${mapped}`);
          }
        }
      }
      // one real access through the TLB (fills it: the next steps' stale check looks at it)
      if (IGNORED.has('kernel-tlb') && page >= this.layout.kernel.start && this.activeRoot === userRoot) continue;
      const kind = this.step % 3;
      const user = rights !== null && rights.user && this.step % 2 === 0;
      const code = machine.probe(lo, hi, kind, user);
      const want = rights !== null && allowed(rights, kind, user);
      if ((code === -1) !== want) throw this.failure(`probe ${['read', 'write', 'fetch'][kind]} ${hexPage(page)} ring ${user ? 3 : 0}: ${code}, model ${want}`);
    }
  }

  private checkFull(walk: RawWalk, listMappings: boolean, index: boolean): void {
    const { machine, userRoot, kernelRoot, userSpace, kernelSpace } = this.s;
    // listMappings (the MMU's own enumeration) against the walker's view of the active root
    if (listMappings) {
      this.stats.listMappings++;
      const listed = machine.listMappings();
      const mine = walk.leaves.get(this.activeRoot)!;
      // the MMU's leaves outside the set-up's ranges, merged into runs as walkTables reports them
      // (one pass, no object per leaf: a gigabyte of device memory in 4 KiB pages is 262,144 leaves)
      const theirsRuns: RawLeaf[] = [];
      let baselineListed = 0;
      let reservedBit = false;
      for (const m of listed) {
        if (m.reserved) reservedBit = true;
        const page = Number(m.linear / PAGE_BYTES);
        const pages = m.size / 4096;
        if (this.isBaseline(page, pages)) {
          baselineListed++;
          continue;
        }
        const frame = m.physical / 4096;
        const large = m.size > 4096;
        const last = theirsRuns[theirsRuns.length - 1];
        if (
          last !== undefined &&
          last.page + last.pages === page &&
          last.frame + last.pages === frame &&
          last.write === m.writable &&
          last.user === m.user &&
          last.nx === m.nx &&
          last.large === large
        ) {
          last.pages += pages;
          continue;
        }
        theirsRuns.push({ page, frame, pages, write: m.writable, user: m.user, nx: m.nx, foreign: false, large, uncached: false, writeThrough: false });
      }
      if (this.activeRoot === userRoot && baselineListed !== this.base.listedBaseline) {
        throw this.failure(`listMappings: ${baselineListed} set-up leaves, ${this.base.listedBaseline} at set-up`);
      }
      const minePlain = mergeRuns(mine.filter((l) => !this.isBaseline(l.page, l.pages)).map((l) => ({ ...l, foreign: false, uncached: false, writeThrough: false })))
        .map(leafKey)
        .join(',');
      const theirsPlain = theirsRuns.map(leafKey).join(',');
      if (minePlain !== theirsPlain) throw this.failure(`listMappings differs from the tables in memory:\n MMU:    ${theirsPlain.slice(0, 400)}\n tables: ${minePlain.slice(0, 400)}`);
      if (reservedBit) throw this.failure('listMappings: a leaf with a reserved bit on its path');
      // the set-up's own tables, word for word
      for (const [frame, words] of this.base.skipWords) {
        const now = machine.memory.frameWords(frame);
        for (let k = 0; k < words.length; k++) {
          // A/D bits may be set by the MMU
          if (((now?.[k] ?? 0) & ~0x60) !== (words[k]! & ~0x60)) throw this.failure(`set-up table ${hexFrame(frame)} changed at word ${k}`);
        }
      }
    }
    // counters: present entries (+ TABLE_PINNED); only roots and pinned tables may be empty
    const roots = new Set([userRoot, kernelRoot]);
    for (const t of walk.tables.values()) {
      if (this.base.skip.has(t.frame)) continue;
      const counter = frameCounterGet(t.frame);
      const pinned = this.base.pinned.has(t.frame);
      const want = pinned ? TABLE_PINNED + t.present : t.present;
      if (counter !== want) throw this.failure(`table ${hexFrame(t.frame)} (level ${t.level}, ${hexPage(t.page)}) has ${t.present} entries, counter ${counter}`);
      if (t.present === 0 && !pinned && !roots.has(t.frame)) throw this.failure(`empty table ${hexFrame(t.frame)} (level ${t.level}, ${hexPage(t.page)}) was not released`);
    }
    // the free-space index against the model
    if (!index) return;
    for (const [space, name] of [
      [userSpace, 'user'],
      [kernelSpace, 'kernel'],
    ] as const) {
      const check = virtualSpaceCheck(space);
      if (check !== 0) throw this.failure(`virtualSpaceCheck(${name}) = ${check}`);
      const listed = this.indexRanges(space).join(' ');
      const model = this.model
        .freeRanges(name)
        .map((r) => `${hexAddress(pageToAddress(r.start))}-${hexAddress(BigInt.asUintN(64, pageToAddress(r.end)))}`)
        .join(' ');
      if (listed !== model) throw this.failure(`free-space index (${name}) lists\n ${listed.slice(0, 300)}\nthe model\n ${model.slice(0, 300)}`);
    }
  }

  // ---- running -------------------------------------------------------------------------------

  /** Runs a whole sequence with the checks; throws CheckFailure (or the machine's own errors). */
  async execute(ops: readonly RegionOp[]): Promise<void> {
    try {
      this.check(true, true, true); // the set-up itself
      for (const op of ops) {
        this.step++;
        if (this.step % YIELD_EVERY === 0) await yieldToEventLoop();
        this.gen.apply(op);
        const periodic = this.step % DEEP_EVERY === 0;
        const listMappings = this.full && this.step % FULL_LIST_EVERY === 0;
        const index = periodic || this.step % FULL_INDEX_EVERY === 0;
        this.check(this.full || periodic, this.full || periodic, listMappings, index);
      }
      this.check(true, true, true);
    } catch (error) {
      if (error instanceof CheckFailure) throw error;
      // the machine's own errors (a page fault in the manager's access, a #GP...) and any other
      throw this.failure(`${(error as Error).name}: ${(error as Error).message}`);
    }
  }
}

// ---- fast-check plumbing ---------------------------------------------------------------------

// k without fast-check's bias towards the ends of its range: the generator's shares are as written
const opArb: fc.Arbitrary<RegionOp> = fc.record({ k: fc.noBias(fc.integer({ min: 0, max: OP_KINDS - 1 })), a: fc.nat(), b: fc.nat(), c: fc.nat() });
const runArb = fc.record({
  full: fc.noShrink(fc.noBias(fc.integer({ min: 0, max: 99 }))),
  ops: fc.array(opArb, { minLength: 1, maxLength: 2 * STEPS - 1, size: 'max' }),
});

interface ModeTotals {
  ops: number;
  runs: number;
  fullRuns: number;
  calls: number;
  ok: number;
  errors: number;
  injected: number;
  injectedFailures: number;
  largeLeaves: number;
  listMappings: number;
  /** Outcomes of the calls added last (protectRegion, mapIOMemory, unmapIOMemory): "fn ok" / "fn ERR_..." -> count. */
  outcomes: Map<string, number>;
}

const runOnce = async (mode: ModeName, full: number, ops: readonly RegionOp[], totals: ModeTotals): Promise<void> => {
  const run = new Run(mode, full < FULL_CHECK_PERCENT);
  try {
    await run.execute(ops);
  } finally {
    frameInjectFailure(0);
  }
  const g = run.gen.stats;
  totals.ops += g.ops;
  totals.runs++;
  if (full < FULL_CHECK_PERCENT) totals.fullRuns++;
  totals.calls += g.calls;
  totals.ok += g.ok;
  totals.errors += g.errors;
  totals.injected += g.injected;
  totals.injectedFailures += g.injectedFailures;
  totals.largeLeaves += run.stats.largeLeaves;
  totals.listMappings += run.stats.listMappings;
  for (const [key, n] of run.gen.outcomes) {
    const [fn, what] = key.split(' ');
    if (fn !== 'protectRegion' && fn !== 'mapIOMemory' && fn !== 'unmapIOMemory') continue;
    const name = `${fn} ${what === 'ok' ? 'ok' : errorName(Number(what))}`;
    totals.outcomes.set(name, (totals.outcomes.get(name) ?? 0) + n);
  }
};

/** Lets the event loop run (vitest's worker answers its RPCs there): before every run and every shrinking try. */
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The failure of a run of `ops`, or null. */
const failureOf = async (mode: ModeName, full: number, ops: readonly RegionOp[]): Promise<CheckFailure | null> => {
  try {
    await runOnce(mode, full, ops, emptyTotals());
    return null;
  } catch (error) {
    if (error instanceof CheckFailure) return error;
    return new CheckFailure(String(error), ops.length, String(error));
  }
};

/**
 * Shrinks a failing sequence: the ops after the failing step go, then chunks of ops (halves,
 * quarters... single ops) are dropped as long as the run still fails the same way, for at most
 * SHRINK_SECONDS. (fast-check's own shrinking is slow here: removing an op changes how every
 * later op is interpreted, and each try is a whole run.)
 */
const shrinkOps = async (
  mode: ModeName,
  full: number,
  ops: readonly RegionOp[],
  first: CheckFailure,
): Promise<{ ops: RegionOp[]; failure: CheckFailure; tries: number }> => {
  const deadline = performance.now() + SHRINK_SECONDS * 1000;
  let best = ops.slice(0, first.step);
  let failure = first;
  let tries = 0;
  let chunk = Math.ceil(best.length / 2);
  while (chunk >= 1 && performance.now() < deadline) {
    let removed = false;
    for (let i = 0; i < best.length && performance.now() < deadline; ) {
      const candidate = [...best.slice(0, i), ...best.slice(i + chunk)];
      tries++;
      await yieldToEventLoop();
      const f = candidate.length > 0 ? await failureOf(mode, full, candidate) : null;
      if (f !== null && f.signature === first.signature) {
        best = candidate.slice(0, f.step);
        failure = f;
        removed = true;
      } else i += chunk;
    }
    if (!removed) chunk = Math.floor(chunk / 2);
  }
  return { ops: best, failure, tries };
};

/** How to run one mode's file again with the same seeds. */
const replayHint = (mode: ModeName, baseSeed: number): string => `TSMM_REGIONS_SEED=${baseSeed} npx vitest run test/host/regions-property-${mode}.test.ts`;

/**
 * Runs fast-check with a seed (its async runner: the event loop runs between runs); on failure,
 * throws a message with everything needed to replay, and the shrunk case ready for the fixtures.
 */
const checkSeed = async (mode: ModeName, seed: number, numRuns: number, totals: ModeTotals, path?: string, hint = ''): Promise<void> => {
  const details = await fc.check(
    fc.asyncProperty(runArb, async ({ full, ops }) => {
      await yieldToEventLoop();
      await runOnce(mode, full, ops, totals);
    }),
    { seed, numRuns, path, endOnFailure: true },
  );
  if (!details.failed) return;
  const example = details.counterexample?.[0];
  const first = details.errorInstance;
  if (example === undefined || !(first instanceof CheckFailure)) throw first;
  const shrunk =
    process.env.TSMM_REGIONS_NO_SHRINK === '1' ? { ops: example.ops.slice(0, first.step), failure: first, tries: 0 } : await shrinkOps(mode, example.full, example.ops, first);
  const entry = JSON.stringify({ mode, note: 'TODO: the bug', seed, path: details.counterexamplePath, full: example.full, ops: shrunk.ops });
  let where = entry;
  if (entry.length > 4000) {
    const file = join(PROJECT_ROOT, 'build/regions-property', `${mode}-${seed}.json`);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `${entry}\n`);
    where = `(${shrunk.ops.length} ops: written to ${file})`;
  }
  throw new Error(
    `regions property test failed in ${mode}: seed ${seed}, path "${details.counterexamplePath}" - ${example.ops.length} ops, failing at step ${first.step}; ` +
      `shrunk to ${shrunk.ops.length} ops (${shrunk.tries} tries)${hint}\n${shrunk.failure.message}\n--- add to REGRESSION_SEEDS in test/fixtures/regions-seeds.ts:\n${where}`,
  );
};

/** TSMM_REGIONS_SEED (a number; 'random' or unset: a fresh one). */
const baseSeedOf = (value: string | undefined): number => {
  if (value === undefined || value === '' || value === 'random') return webcrypto.getRandomValues(new Uint32Array(1))[0]!;
  const seed = Number(value);
  if (!Number.isSafeInteger(seed) || seed < 0) throw new Error(`TSMM_REGIONS_SEED must be a non-negative integer or 'random', not '${value}'`);
  return seed >>> 0;
};

/** The base seed of this file's run (one process per test file: each mode draws its own). */
export const BASE_SEED = baseSeedOf(process.env.TSMM_REGIONS_SEED);

/** The k-th seed derived from a mode's base seed. */
const derivedSeed = (mode: ModeName, baseSeed: number, round: number): number => (baseSeed + Math.imul(round, 0x9e3779b1) + MODES.indexOf(mode)) >>> 0;

const summary = (mode: ModeName, what: string, totals: ModeTotals, seconds: number): string =>
  `[regions ${mode}] ${what}: ${totals.ops} ops in ${totals.runs} runs (${totals.fullRuns} with full checks after every step), ${seconds.toFixed(1)} s; ` +
  `${totals.calls} calls: ${totals.ok} succeeded, ${totals.errors} returned the expected error, ${totals.injected} with an injected failure ` +
  `(${totals.injectedFailures} took effect); ${totals.listMappings} listMappings, ${totals.largeLeaves} large leaves seen; ` +
  [...totals.outcomes].sort().map(([k, n]) => `${k}: ${n}`).join(', ');

/**
 * The property tests of one paging mode: the regression cases, the fixed seeds, then OPS_PER_MODE
 * random operations from the (fresh or given) base seed. One test file per mode calls it.
 */
export const regionsPropertySuite = (mode: ModeName, baseSeed = BASE_SEED): void => {
  describe(`regions against the model, ${mode}`, () => {
    it('replays every regression seed', async () => {
      const totals = emptyTotals();
      const failures: string[] = [];
      for (const entry of REGRESSION_SEEDS.filter((e) => e.mode === mode)) {
        await yieldToEventLoop();
        try {
          if (entry.ops !== undefined) await runOnce(mode, entry.full ?? 0, entry.ops, totals);
          else if (entry.seed !== undefined) await checkSeed(mode, entry.seed, 1, totals, entry.path);
        } catch (error) {
          failures.push(`regression case "${entry.note}" fails: ${(error as Error).message.split('\n--- model')[0]}`);
        }
      }
      expect(failures).toEqual([]);
    }, REPLAY_TIMEOUT_MS);

    it(`the fixed seeds (${FIXED_SEEDS.join(', ')}), two runs each`, async () => {
      const totals = emptyTotals();
      const started = performance.now();
      for (const seed of FIXED_SEEDS) await checkSeed(mode, seed, 2, totals);
      console.log(summary(mode, `fixed seeds ${FIXED_SEEDS.join(', ')}`, totals, (performance.now() - started) / 1000));
      expect(totals.runs).toBe(2 * FIXED_SEEDS.length);
    }, REPLAY_TIMEOUT_MS);

    it(`${OPS_PER_MODE} random operations from base seed ${baseSeed}, every step checked`, async () => {
      const hint = `\n--- replay: ${replayHint(mode, baseSeed)}`;
      console.log(`[regions ${mode}] base seed ${baseSeed}: ${OPS_PER_MODE} random operations (${replayHint(mode, baseSeed)} replays them)`);
      const totals = emptyTotals();
      const started = performance.now();
      const seeds: string[] = [];
      for (let round = 0; totals.ops < OPS_PER_MODE; round++) {
        const seed = derivedSeed(mode, baseSeed, round);
        const runs = Math.max(1, Math.min(RUNS_PER_SEED, Math.ceil((OPS_PER_MODE - totals.ops) / STEPS)));
        seeds.push(`${seed} x${runs}`);
        await checkSeed(mode, seed, runs, totals, undefined, hint);
      }
      console.log(summary(mode, `base seed ${baseSeed} (seeds ${seeds.join(', ')})`, totals, (performance.now() - started) / 1000));
      expect(totals.ops).toBeGreaterThanOrEqual(OPS_PER_MODE);
      expect(totals.ok).toBeGreaterThan(totals.ops / 5);
      expect(totals.largeLeaves, 'large pages were mapped').toBeGreaterThan(Math.min(100, totals.ops / 100));
      expect(totals.injectedFailures, 'injected failures hit').toBeGreaterThan(Math.min(10, totals.ops / 1000));
    }, RANDOM_TIMEOUT_MS);
  });
};

function emptyTotals(): ModeTotals {
  return { ops: 0, runs: 0, fullRuns: 0, calls: 0, ok: 0, errors: 0, injected: 0, injectedFailures: 0, largeLeaves: 0, listMappings: 0, outcomes: new Map() };
}
