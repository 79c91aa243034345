/*
 * Allocation-failure injection for every region operation that takes frames, in all four paging
 * modes: for k = 1, 2, ... the k-th frame allocation of the call fails (frameInjectFailure(k)),
 * until a k is reached that the call never gets to (it then succeeds untouched by the injection).
 *
 * Every call that fails must return ERR_OUT_OF_MEMORY and leave everything exactly as before:
 *   - the page tables: listMappings() of the active root (the MMU's own enumeration) and the
 *     test's walk of both roots (every leaf, every table frame, the present entries of each);
 *   - the page bitmap, word for word (every frame's state; so the free count too);
 *   - the frame counters, word for word (all frames);
 *   - the free-space index of both spaces (its free ranges) and its node pool;
 *   - no stale TLB entry.
 * A call the injection hit but that still succeeded (a large page whose run of frames failed falls
 * back to 4 KiB pages) must be right too (mapped as asked); the state is then built afresh for the
 * next k. The last call (k beyond its allocations) must succeed.
 *
 * Whether the injected failure fired inside the call is read afterwards: with the countdown
 * still armed, one of k further frame allocations fails.
 *
 * Operations: allocRegion with fresh frames and large pages where tables exist; allocRegion in a
 * fresh part of user space and of kernel space (every table on the way is new); resizeRegion
 * growing across a large-page boundary; freeRegion of a part of a large page (split tables) and
 * resizeRegion shrinking into one; allocKernelRegion; allocRegion with a FIXED target (tables
 * only); addressSpaceCreate.
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import { allocKernelRegion, allocRegion, freeRegion, resizeRegion } from '../../src/region/regions.ts';
import { REGION_COMMIT, REGION_FIXED, REGION_NO_EXECUTE, REGION_READWRITE, REGION_USER } from '../../src/region/region-flags.ts';
import {
  frameAlloc,
  frameAllocContiguous,
  frameBitmapStorageBytes,
  frameFree,
  frameFreeCount,
  frameInjectFailure,
} from '../../src/memory/frame-bitmap.ts';
import { addressSpaceCreate } from '../../src/paging/address-spaces.ts';
import { virtualSpaceFirstRange, virtualSpaceNextRange, virtualSpaceRangeEnd } from '../../src/region/virtual-space.ts';
import { virtualSpaceNodesFree } from '../../src/region/virtual-space-pool.ts';
import { pairHi } from '../../src/int64/pair.ts';
import * as E from '../../src/errors.ts';
import { errorName } from '../support/errors.ts';
import { BITMAP_PHYSICAL, MODES, hexAddress, readBitmap, toAddress, toPair, walkTables, type ModeName } from './regions-model.ts';

const RAM_BYTES = 128 * 1024 * 1024;
const RW_USER = REGION_COMMIT | REGION_READWRITE | REGION_USER;
const RW_KERNEL = REGION_COMMIT | REGION_READWRITE;

const setUp = (mode: ModeName): RegionSetup => {
  const s = mode === 'two-level' || mode === 'pae' ? setUpRegionsI386(mode, RAM_BYTES) : setUpRegionsX86_64(mode === 'five-level' ? 5 : 4, RAM_BYTES);
  s.machine.writeCr3(s.userRoot * 4096, 0);
  return s;
};

/** Addresses per mode: a user area, a fresh far user area, a fresh kernel area; the large-page size. */
interface Places {
  large: bigint;
  /** Size of the kernel calls: a large page and a few (two-level kernel space has only page tables: 6 pages). */
  kernelSize: bigint;
  user: bigint;
  freshUser: bigint;
  freshKernel: bigint;
}

const placesFor = (mode: ModeName, s: RegionSetup): Places => {
  const places = placesOf(mode, s);
  placesMode.set(places, mode);
  return places;
};

const placesOf = (mode: ModeName, s: RegionSetup): Places => {
  const large = mode === 'two-level' ? 4n << 20n : 2n << 20n;
  const kernelBase = toAddress(s.kernelRegionsLo, s.kernelRegionsHi);
  if (mode === 'two-level' || mode === 'pae') {
    const kernelSize = mode === 'two-level' ? 6n * 4096n : large + 5n * 4096n;
    return { large, kernelSize, user: 0x40000000n, freshUser: 0x9f000000n - 2n * 4096n, freshKernel: 0xe8000000n - 2n * 4096n };
  }
  const top = mode === 'five-level' ? 1n << 56n : 1n << 47n;
  // far from everything: new tables at every level below the root (the kernel one under a pinned table)
  return {
    large,
    kernelSize: large + 5n * 4096n,
    user: 0x40000000n,
    freshUser: top - (1n << 39n) - 2n * 4096n,
    freshKernel: kernelBase + (1n << 39n) * 3n - 2n * 4096n,
  };
};

/** Everything a failed call must leave as it was. */
interface Snapshot {
  listed: string;
  tables: string;
  leaves: string;
  bitmap: string;
  counters: string;
  free: number;
  index: string;
}

const indexRanges = (space: number): string => {
  const out: string[] = [];
  let start = virtualSpaceFirstRange(space);
  let startHi = pairHi;
  while (E.isErrorCode(start) === 0 && out.length < 100000) {
    const end = virtualSpaceRangeEnd(space, start, startHi);
    out.push(`${hexAddress(toAddress(start, startHi))}-${hexAddress(toAddress(end, pairHi))}`);
    const next = virtualSpaceNextRange(space, start, startHi);
    startHi = pairHi;
    start = next;
  }
  return out.join(' ');
};

const snapshot = (mode: ModeName, s: RegionSetup): Snapshot => {
  const { machine } = s;
  const roots = [s.userRoot, s.kernelRoot];
  const walk = walkTables(machine, mode, roots);
  const bitmap = readBitmap(machine, s.frames);
  // the counters sit right after the bitmap's storage (paging-setup.ts), two frames per word
  const countersAt = BITMAP_PHYSICAL + frameBitmapStorageBytes(s.frames);
  const counters: number[] = [];
  for (let k = 0; k < s.frames / 2; k++) counters.push(machine.readPhys32(countersAt + 4 * k));
  const clean = (m: { linear: bigint; physical: number; size: number; writable: boolean; user: boolean; nx: boolean }): string =>
    `${m.linear.toString(16)}:${m.physical.toString(16)}:${m.size}:${m.writable ? 'w' : '-'}${m.user ? 'u' : '-'}${m.nx ? 'x' : '-'}`;
  return {
    listed: machine.listMappings().map(clean).join(','),
    tables: [...walk.tables.values()]
      .map((t) => `${t.frame}/${t.level}/${t.present}`)
      .sort()
      .join(','),
    leaves: [...walk.leaves.entries()].map(([root, leaves]) => `${root}:${leaves.map((l) => `${l.page}:${l.frame}:${l.pages}:${+l.write}${+l.user}${+l.nx}${+l.foreign}`).join(',')}`).join(' '),
    bitmap: Array.from(bitmap.used).join(','),
    counters: counters.join(','),
    free: frameFreeCount(),
    index: `${indexRanges(s.userSpace)} | ${indexRanges(s.kernelSpace)} | nodes ${virtualSpaceNodesFree()}`,
  };
};

const differences = (a: Snapshot, b: Snapshot): string[] => (Object.keys(a) as (keyof Snapshot)[]).filter((k) => a[k] !== b[k]);

/** After a call made with frameInjectFailure(k): did the injected failure fire inside it? Disarms it. */
const injectionFired = (k: number): boolean => {
  const taken: number[] = [];
  let armed = false;
  for (let i = 0; i < k; i++) {
    const frame = frameAlloc();
    if (frame === E.ERR_OUT_OF_MEMORY) {
      armed = true;
      break;
    }
    taken.push(frame);
  }
  frameInjectFailure(0);
  for (const frame of taken) frameFree(frame);
  return !armed;
};

/** One scenario: builds its state from scratch (deterministically), makes the call, checks a success. */
interface Scenario {
  name: string;
  prepare: (mode: ModeName, s: RegionSetup, p: Places) => void;
  call: (s: RegionSetup, p: Places) => number;
  /** Checks a successful call's effect (it returned `result`). */
  succeeded: (mode: ModeName, s: RegionSetup, p: Places, result: number, resultHi: number) => void;
  /** False where the call takes no frame in this mode (it must then succeed at k = 1). */
  allocates?: (mode: ModeName) => boolean;
}

const expectMapped = (s: RegionSetup, address: bigint, pages: number, write: boolean, user: boolean): void => {
  for (const page of new Set([0, 1, pages >> 1, pages - 1].filter((k) => k < pages))) {
    const [lo, hi] = toPair(address + BigInt(page) * 4096n);
    const t = s.machine.translate(lo, hi, write ? 1 : 0, user);
    expect(t.ok, `${hexAddress(address + BigInt(page) * 4096n)} mapped`).toBe(true);
  }
};

const expectUnmapped = (s: RegionSetup, address: bigint, pages: number): void => {
  for (const page of [0, pages - 1]) {
    const [lo, hi] = toPair(address + BigInt(page) * 4096n);
    expect(s.machine.translate(lo, hi, 0, false).ok, `${hexAddress(address + BigInt(page) * 4096n)} unmapped`).toBe(false);
  }
};

const largePages = (p: Places): number => Number(p.large / 4096n);

const SCENARIOS: Scenario[] = [
  {
    name: 'allocRegion: fresh frames with large pages, next to an existing region',
    prepare: (_mode, _s, p) => {
      const [lo, hi] = toPair(p.user);
      expect(allocRegion(lo, hi, 0, 0, 4096, 0, RW_USER)).toBe(lo);
    },
    call: (_s, p) => {
      const [lo, hi] = toPair(p.user + p.large);
      const [sLo, sHi] = toPair(2n * p.large + 3n * 4096n);
      return allocRegion(lo, hi, 0, 0, sLo, sHi, RW_USER | REGION_NO_EXECUTE);
    },
    succeeded: (_mode, s, p, result) => {
      expect(result).toBe(toPair(p.user + p.large)[0]);
      expectMapped(s, p.user + p.large, 2 * largePages(p) + 3, true, true);
    },
  },
  {
    name: 'allocRegion: a fresh part of user space (every table new)',
    prepare: () => {},
    call: (_s, p) => {
      const [lo, hi] = toPair(p.freshUser);
      return allocRegion(lo, hi, 0, 0, 5 * 4096, 0, RW_USER);
    },
    succeeded: (_mode, s, p, result, resultHi) => {
      expect(toAddress(result, resultHi)).toBe(p.freshUser);
      expectMapped(s, p.freshUser, 5, true, true);
    },
  },
  {
    name: 'allocRegion: a fresh part of kernel space (new tables under the shared ones)',
    prepare: () => {},
    call: (_s, p) => {
      const [lo, hi] = toPair(p.freshKernel);
      const [sLo, sHi] = toPair(p.kernelSize);
      return allocRegion(lo, hi, 0, 0, sLo, sHi, RW_KERNEL);
    },
    succeeded: (_mode, s, p, result, resultHi) => {
      expect(toAddress(result, resultHi)).toBe(p.freshKernel);
      expectMapped(s, p.freshKernel, Number(p.kernelSize / 4096n), true, false);
    },
  },
  {
    name: 'resizeRegion: growing across a large-page boundary',
    prepare: (_mode, _s, p) => {
      const [lo, hi] = toPair(p.user + 4n * p.large - 3n * 4096n);
      expect(allocRegion(lo, hi, 0, 0, 3 * 4096, 0, RW_USER)).toBe(lo);
    },
    call: (_s, p) => {
      const [lo, hi] = toPair(p.user + 4n * p.large - 3n * 4096n);
      const [nLo, nHi] = toPair(3n * 4096n + p.large + 2n * 4096n);
      return resizeRegion(lo, hi, 0, 0, 3 * 4096, 0, nLo, nHi, RW_USER);
    },
    succeeded: (_mode, s, p, result) => {
      expect(result).toBe(toPair(p.user + 4n * p.large - 3n * 4096n)[0]);
      expectMapped(s, p.user + 4n * p.large - 3n * 4096n, 3 + largePages(p) + 2, true, true);
    },
  },
  {
    name: 'freeRegion: a part of a large page (the split needs tables)',
    prepare: (_mode, s, p) => {
      const [lo, hi] = toPair(p.user + 8n * p.large);
      const [sLo, sHi] = toPair(p.large);
      expect(allocRegion(lo, hi, 0, 0, sLo, sHi, RW_USER)).toBe(lo);
      const leaf = s.machine.listMappings().find((m) => m.linear === p.user + 8n * p.large);
      expect(leaf?.size, 'a large leaf to split').toBe(Number(p.large));
    },
    call: (_s, p) => {
      const [lo, hi] = toPair(p.user + 8n * p.large + 5n * 4096n);
      return freeRegion(lo, hi, 2 * 4096, 0);
    },
    succeeded: (_mode, s, p, result) => {
      expect(result).toBe(E.ERR_NONE);
      expectUnmapped(s, p.user + 8n * p.large + 5n * 4096n, 2);
      expectMapped(s, p.user + 8n * p.large + 7n * 4096n, 1, true, true);
      expectMapped(s, p.user + 8n * p.large, 5, true, true);
    },
  },
  {
    name: 'resizeRegion: shrinking into a large page',
    prepare: (_mode, _s, p) => {
      const [lo, hi] = toPair(p.user + 12n * p.large);
      const [sLo, sHi] = toPair(2n * p.large);
      expect(allocRegion(lo, hi, 0, 0, sLo, sHi, RW_USER)).toBe(lo);
    },
    call: (_s, p) => {
      const [lo, hi] = toPair(p.user + 12n * p.large);
      const [sLo, sHi] = toPair(2n * p.large);
      const [nLo, nHi] = toPair(p.large + 7n * 4096n);
      return resizeRegion(lo, hi, 0, 0, sLo, sHi, nLo, nHi, RW_USER);
    },
    succeeded: (_mode, s, p, result) => {
      expect(result).toBe(toPair(p.user + 12n * p.large)[0]);
      expectMapped(s, p.user + 12n * p.large, largePages(p) + 7, true, true);
      expectUnmapped(s, p.user + 13n * p.large + 7n * 4096n, largePages(p) - 7);
    },
  },
  {
    name: 'freeRegion: the middle of the largest leaf the mode has, FIXED (splits at both ends)',
    prepare: (mode, s, p) => {
      const huge = hugeOf(mode);
      const [lo, hi] = toPair(hugeVa(mode, p));
      const [sLo, sHi] = toPair(huge);
      // a target outside RAM: FIXED frames are never touched, and the leaf can be as large as the mode allows
      const [tLo, tHi] = toPair(huge * 8n);
      expect(allocRegion(lo, hi, tLo, tHi, sLo, sHi, RW_USER | REGION_FIXED)).toBe(lo);
      const leaf = s.machine.listMappings().find((m) => m.linear === hugeVa(mode, p));
      expect(leaf?.size, 'the largest leaf').toBe(Number(huge));
    },
    call: (_s, p) => {
      const mode = modeOf(p);
      const [lo, hi] = toPair(hugeVa(mode, p) + hugeHead(mode, p));
      const [sLo, sHi] = toPair(hugeOf(mode) - hugeHead(mode, p) - hugeTail(mode, p));
      return freeRegion(lo, hi, sLo, sHi);
    },
    succeeded: (mode, s, p, result) => {
      expect(result).toBe(E.ERR_NONE);
      const va = hugeVa(mode, p);
      expectMapped(s, va, Number(hugeHead(mode, p) / 4096n), true, true);
      expectUnmapped(s, va + hugeHead(mode, p), Number((hugeOf(mode) - hugeHead(mode, p) - hugeTail(mode, p)) / 4096n));
      const [lo, hi] = toPair(va + hugeOf(mode) - hugeTail(mode, p));
      const t = s.machine.translate(lo, hi, 0, true);
      expect(t.ok && t.physical).toBe(Number(hugeOf(mode) * 8n + hugeOf(mode) - hugeTail(mode, p)));
    },
  },
  {
    name: 'freeRegion: a part of a kernel large page',
    allocates: (mode) => mode !== 'two-level', // two-level kernel space has page tables only: nothing to split
    prepare: (mode, s, p) => {
      const [lo, hi] = toPair(p.freshKernel + 2n * 4096n);
      const [sLo, sHi] = toPair(mode === 'two-level' ? 4n * 4096n : p.large);
      expect(allocRegion(lo, hi, 0, 0, sLo, sHi, RW_KERNEL)).toBe(lo);
    },
    call: (_s, p) => {
      const [lo, hi] = toPair(p.freshKernel + 3n * 4096n);
      return freeRegion(lo, hi, 4096, 0);
    },
    succeeded: (_mode, s, p, result) => {
      expect(result).toBe(E.ERR_NONE);
      expectUnmapped(s, p.freshKernel + 3n * 4096n, 1);
      expectMapped(s, p.freshKernel + 2n * 4096n, 1, true, false);
    },
  },
  {
    name: 'allocKernelRegion',
    prepare: () => {},
    call: (_s, p) => {
      const [sLo, sHi] = toPair(p.kernelSize);
      return allocKernelRegion(0, 0, sLo, sHi, RW_KERNEL | REGION_NO_EXECUTE);
    },
    succeeded: (_mode, s, p, result, resultHi) => {
      expect(E.isErrorCode(result)).toBe(0);
      expectMapped(s, toAddress(result, resultHi), Number(p.kernelSize / 4096n), true, false);
    },
  },
  {
    name: 'allocRegion: a FIXED target with large pages (only tables are taken)',
    prepare: (_mode, _s, p) => {
      const first = frameAllocContiguous(largePages(p) + 1, largePages(p));
      expect(first).toBeGreaterThan(0);
      fixedFrame = first;
    },
    call: (_s, p) => {
      const [lo, hi] = toPair(p.freshUser - 2n * p.large + 2n * 4096n);
      const [sLo, sHi] = toPair(p.large + 4096n);
      return allocRegion(lo, hi, fixedFrame * 4096, 0, sLo, sHi, RW_USER | REGION_FIXED);
    },
    succeeded: (_mode, s, p, result) => {
      expect(result).toBe(toPair(p.freshUser - 2n * p.large + 2n * 4096n)[0]);
      const [lo, hi] = toPair(p.freshUser - 2n * p.large + 2n * 4096n + p.large);
      const t = s.machine.translate(lo, hi, 0, true);
      expect(t.ok && t.physical).toBe((fixedFrame + largePages(p)) * 4096);
    },
  },
  {
    name: 'addressSpaceCreate',
    prepare: () => {},
    call: () => addressSpaceCreate(),
    succeeded: (_mode, _s, _p, result) => {
      expect(result).toBeGreaterThan(0);
    },
  },
];

let fixedFrame = 0;

/** The largest leaf of a mode: 1 GiB (x86-64), 2 MiB (PAE), 4 MiB (two-level). */
const hugeOf = (mode: ModeName): bigint => (mode === 'four-level' || mode === 'five-level' ? 1n << 30n : mode === 'pae' ? 2n << 20n : 4n << 20n);
/** Where the scenario puts it: a huge-aligned user address away from the others. */
const hugeVa = (mode: ModeName, p: Places): bigint => (mode === 'four-level' || mode === 'five-level' ? 1n << 40n : p.user + 32n * p.large);
/** What stays mapped at the huge leaf's start and end: past a large page in x86-64 (so the split goes two levels down). */
const hugeHead = (mode: ModeName, p: Places): bigint => (hugeOf(mode) > p.large ? p.large + 3n * 4096n : 3n * 4096n);
const hugeTail = (mode: ModeName, p: Places): bigint => (hugeOf(mode) > p.large ? p.large + 2n * 4096n : 2n * 4096n);
const placesMode = new WeakMap<Places, ModeName>();
const modeOf = (p: Places): ModeName => placesMode.get(p)!;

describe.each(MODES)('allocation failures, %s', (mode) => {
  it.each(SCENARIOS.map((scenario) => [scenario.name, scenario] as const))('%s: every k fails cleanly, then it succeeds', (_name, scenario) => {
    let s = setUp(mode);
    let p = placesFor(mode, s);
    scenario.prepare(mode, s, p);
    let fresh = true;
    let failures = 0;
    let fallbacks = 0;
    for (let k = 1; ; k++) {
      expect(k, 'the call should stop allocating at some point').toBeLessThan(2000);
      if (!fresh) {
        s = setUp(mode);
        p = placesFor(mode, s);
        scenario.prepare(mode, s, p);
      }
      const before = snapshot(mode, s);
      frameInjectFailure(k);
      const result = scenario.call(s, p);
      const resultHi = pairHi;
      const fired = injectionFired(k);
      const stale = s.machine.staleTlbEntries();
      expect(stale.map((e) => hexAddress(e.linear)), `k=${k}: stale TLB entries`).toEqual([]);
      if (E.isErrorCode(result) === 1) {
        expect(errorName(result), `k=${k}: the failed call's error`).toBe('ERR_OUT_OF_MEMORY');
        expect(fired, `k=${k}: failed without the injected failure`).toBe(true);
        const after = snapshot(mode, s);
        expect(differences(before, after), `k=${k}: what the failed call changed`).toEqual([]);
        failures++;
        fresh = true;
        continue;
      }
      scenario.succeeded(mode, s, p, result, resultHi);
      fresh = false;
      if (!fired) break; // the call made fewer than k allocations: done
      fallbacks++; // hit, but it coped (a large page's frames fell back to 4 KiB pages)
    }
    if (scenario.allocates?.(mode) === false) expect(failures, 'a call that takes no frame').toBe(0);
    else expect(failures, 'the call failed for k = 1 at least').toBeGreaterThan(0);
    console.log(`[failure injection ${mode}] ${scenario.name}: ${failures} failed calls, ${fallbacks} coped, then success`);
  });
});
