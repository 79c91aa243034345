/*
 * protectRegion (mprotect) in all four paging modes, every claim checked through the emulated MMU
 * and its software TLB: rights change in place (same frames), a reduction is flushed before the
 * call returns (no stale, wider translation survives), unchanged leaves cost no flush, a leaf that
 * gains the write right widens its parents, large pages straddling an end are split (and nothing
 * changes when the split's tables cannot be had), and every bad call changes nothing.
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import { allocRegion, allocKernelRegion, protectRegion, mapLinearToPhysical } from '../../src/region/regions.ts';
import { mapIOMemory } from '../../src/region/io-mappings.ts';
import { REGION_COMMIT, REGION_READWRITE, REGION_USER, REGION_NO_EXECUTE, REGION_UC, REGION_FIXED } from '../../src/region/region-flags.ts';
import { frameFreeCount, frameInjectFailure } from '../../src/memory/frame-bitmap.ts';
import { pairHi } from '../../src/int64/pair.ts';
import * as E from '../../src/errors.ts';
import { errorName } from '../support/errors.ts';

type Mode = 'two-level' | 'pae' | 'four-level' | 'five-level';
const MODES: Mode[] = ['two-level', 'pae', 'four-level', 'five-level'];

const READ = 0;
const WRITE = 1;
const FETCH = 2;
const USER_BASE = 0x10000000;
const RW_USER = REGION_COMMIT | REGION_READWRITE | REGION_USER;

const setUp = (mode: Mode): RegionSetup => {
  const s = mode === 'two-level' || mode === 'pae' ? setUpRegionsI386(mode) : setUpRegionsX86_64(mode === 'five-level' ? 5 : 4);
  s.machine.writeCr3(s.userRoot * 4096, 0);
  return s;
};

/** The large page of the mode: 4 MiB in two-level paging, 2 MiB elsewhere. */
const largeBytes = (mode: Mode): number => (mode === 'two-level' ? 4 << 20 : 2 << 20);
const hasNx = (mode: Mode): boolean => mode !== 'two-level';

/** Every leaf of the loaded root, as text: what a call that fails must leave exactly as it was. */
const leaves = (s: RegionSetup): string =>
  s.machine
    .listMappings()
    .map((m) => `${m.linear.toString(16)}>${m.physical.toString(16)}/${m.size}${m.writable ? 'w' : ''}${m.user ? 'u' : ''}${m.nx ? 'x' : ''}`)
    .join(' ');

/** Touches every page so the TLB holds it (then a missing flush shows as a stale entry). */
const touch = (s: RegionSetup, base: number, pages: number, kind = READ): void => {
  for (let p = 0; p < pages; p++) expect(s.machine.probe(base + p * 4096, 0, kind, true)).toBe(-1);
};

describe.each(MODES)('protectRegion, %s', (mode) => {
  it('makes a writable page read-only in place, flushing it: the next user write faults (7)', () => {
    const s = setUp(mode);
    expect(allocRegion(USER_BASE, 0, 0, 0, 3 * 4096, 0, RW_USER)).toBe(USER_BASE);
    const frame = mapLinearToPhysical(USER_BASE + 4096, 0);
    touch(s, USER_BASE, 3, WRITE);
    s.machine.resetCounters();
    expect(protectRegion(USER_BASE + 4096, 0, 4096, 0, REGION_USER)).toBe(E.ERR_NONE);
    expect(s.machine.counters.invlpg, 'one page reduced: one invlpg').toBe(1);
    expect(s.machine.counters.fullFlushes + s.machine.counters.cr3Writes).toBe(0);
    expect(s.machine.staleTlbEntries()).toEqual([]);
    expect(s.machine.probe(USER_BASE + 4096, 0, WRITE, true)).toBe(7);
    expect(s.machine.probe(USER_BASE + 4096, 0, READ, true)).toBe(-1);
    expect(s.machine.probe(USER_BASE, 0, WRITE, true), 'the neighbours keep their rights').toBe(-1);
    expect(s.machine.probe(USER_BASE + 8192, 0, WRITE, true)).toBe(-1);
    expect(mapLinearToPhysical(USER_BASE + 4096, 0), 'same frame').toBe(frame);
  });

  it('gives the write right back (flushed too: no spurious fault on a stale read-only entry)', () => {
    const s = setUp(mode);
    expect(allocRegion(USER_BASE, 0, 0, 0, 2 * 4096, 0, REGION_COMMIT | REGION_USER)).toBe(USER_BASE);
    touch(s, USER_BASE, 2);
    s.machine.resetCounters();
    expect(protectRegion(USER_BASE, 0, 2 * 4096, 0, REGION_READWRITE | REGION_USER)).toBe(E.ERR_NONE);
    expect(s.machine.staleTlbEntries()).toEqual([]);
    expect(s.machine.probe(USER_BASE, 0, WRITE, true)).toBe(-1);
    expect(s.machine.probe(USER_BASE + 4096, 0, WRITE, true)).toBe(-1);
  });

  it('a leaf that gains the write right widens the tables above it (created read-only)', () => {
    const s = setUp(mode);
    // the only region under its tables, mapped read-only: the intermediate entries grant no write
    expect(allocRegion(USER_BASE, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_USER)).toBe(USER_BASE);
    expect(s.machine.translate(USER_BASE, 0, WRITE, true).ok).toBe(false);
    expect(protectRegion(USER_BASE, 0, 4096, 0, REGION_READWRITE | REGION_USER)).toBe(E.ERR_NONE);
    expect(s.machine.translate(USER_BASE, 0, WRITE, true).ok).toBe(true);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });

  it('leaves whose rights do not change are not written and cost no flush', () => {
    const s = setUp(mode);
    expect(allocRegion(USER_BASE, 0, 0, 0, 8 * 4096, 0, RW_USER)).toBe(USER_BASE);
    touch(s, USER_BASE, 8);
    s.machine.resetCounters();
    expect(protectRegion(USER_BASE, 0, 8 * 4096, 0, REGION_READWRITE | REGION_USER)).toBe(E.ERR_NONE);
    expect(s.machine.counters.invlpg + s.machine.counters.fullFlushes + s.machine.counters.cr3Writes).toBe(0);
    expect(s.machine.counters.pteWrites).toBe(0);
  });

  it.runIf(hasNx(mode))('NO_EXECUTE takes the execute right away (fetch faults 0x15), and gives it back', () => {
    const s = setUp(mode);
    expect(allocRegion(USER_BASE, 0, 0, 0, 4096, 0, RW_USER)).toBe(USER_BASE);
    touch(s, USER_BASE, 1, FETCH);
    expect(protectRegion(USER_BASE, 0, 4096, 0, REGION_READWRITE | REGION_USER | REGION_NO_EXECUTE)).toBe(E.ERR_NONE);
    expect(s.machine.staleTlbEntries()).toEqual([]);
    expect(s.machine.probe(USER_BASE, 0, FETCH, true)).toBe(0x15);
    expect(s.machine.probe(USER_BASE, 0, WRITE, true)).toBe(-1);
    expect(protectRegion(USER_BASE, 0, 4096, 0, REGION_READWRITE | REGION_USER)).toBe(E.ERR_NONE);
    expect(s.machine.probe(USER_BASE, 0, FETCH, true)).toBe(-1);
  });

  it('past the gather batch the whole TLB is flushed once instead of page by page', () => {
    const s = setUp(mode);
    const pages = 64;
    expect(allocRegion(USER_BASE, 0, 0, 0, pages * 4096, 0, RW_USER | (0 as number))).toBe(USER_BASE);
    touch(s, USER_BASE, pages, WRITE);
    s.machine.resetCounters();
    expect(protectRegion(USER_BASE, 0, pages * 4096, 0, REGION_USER)).toBe(E.ERR_NONE);
    expect(s.machine.counters.invlpg).toBe(0);
    expect(s.machine.counters.fullFlushes).toBe(1);
    expect(s.machine.staleTlbEntries()).toEqual([]);
    for (let p = 0; p < pages; p += 9) expect(s.machine.probe(USER_BASE + p * 4096, 0, WRITE, true)).toBe(7);
  });

  it('a kernel page made read-only faults on a supervisor write (3, CR0.WP) - global pages flushed too', () => {
    const s = setUp(mode);
    const lo = allocKernelRegion(0, 0, 4096, 0, REGION_COMMIT | REGION_READWRITE);
    expect(E.isErrorCode(lo)).toBe(0);
    const hi = pairHi;
    expect(s.machine.probe(lo, hi, WRITE, false)).toBe(-1);
    expect(protectRegion(lo, hi, 4096, 0, 0)).toBe(E.ERR_NONE);
    expect(s.machine.staleTlbEntries()).toEqual([]);
    expect(s.machine.probe(lo, hi, WRITE, false)).toBe(3);
    expect(s.machine.probe(lo, hi, READ, false)).toBe(-1);
  });

  it('a large page straddling an end is split: only the range changes, the rest keeps its rights', () => {
    const s = setUp(mode);
    const large = largeBytes(mode);
    const base = 0x40000000;
    expect(allocRegion(base, 0, 0, 0, large, 0, RW_USER)).toBe(base);
    expect(s.machine.listMappings().find((m) => m.linear === BigInt(base))?.size, 'one large leaf').toBe(large);
    touch(s, base, 1, WRITE);
    touch(s, base + large - 4096, 1, WRITE);
    expect(protectRegion(base + 4096, 0, 2 * 4096, 0, REGION_USER)).toBe(E.ERR_NONE);
    expect(s.machine.staleTlbEntries()).toEqual([]);
    expect(s.machine.probe(base, 0, WRITE, true)).toBe(-1);
    expect(s.machine.probe(base + 4096, 0, WRITE, true)).toBe(7);
    expect(s.machine.probe(base + 8192, 0, WRITE, true)).toBe(7);
    expect(s.machine.probe(base + 3 * 4096, 0, WRITE, true)).toBe(-1);
    expect(s.machine.probe(base + large - 4096, 0, WRITE, true)).toBe(-1);
    // the frames stay where they were: the large run, in order
    const first = mapLinearToPhysical(base, 0);
    expect(mapLinearToPhysical(base + 8192, 0)).toBe(first + 8192);
  });

  it('a large page wholly inside the range keeps its size', () => {
    const s = setUp(mode);
    const large = largeBytes(mode);
    const base = 0x40000000;
    expect(allocRegion(base, 0, 0, 0, large, 0, RW_USER)).toBe(base);
    expect(protectRegion(base, 0, large, 0, REGION_USER)).toBe(E.ERR_NONE);
    const leaf = s.machine.listMappings().find((m) => m.linear === BigInt(base));
    expect(leaf?.size).toBe(large);
    expect(leaf?.writable).toBe(false);
  });

  it('out of memory for a split at the k-th allocation, for every k: an error, and nothing changed', () => {
    const s = setUp(mode);
    const large = largeBytes(mode);
    const base = 0x40000000;
    expect(allocRegion(base, 0, 0, 0, large, 0, RW_USER)).toBe(base);
    for (let k = 1; ; k++) {
      const before = { leaves: leaves(s), free: frameFreeCount() };
      frameInjectFailure(k);
      const result = protectRegion(base + 4096, 0, 4096, 0, REGION_USER);
      frameInjectFailure(0);
      if (result === E.ERR_NONE) {
        expect(k).toBeGreaterThan(1);
        break;
      }
      expect(errorName(result)).toBe('ERR_OUT_OF_MEMORY');
      expect({ leaves: leaves(s), free: frameFreeCount() }).toEqual(before);
      expect(k).toBeLessThan(10);
    }
    expect(s.machine.probe(base + 4096, 0, WRITE, true)).toBe(7);
  });

  it('reserved-only pages in the range are skipped; FIXED mappings keep their frames', () => {
    const s = setUp(mode);
    expect(allocRegion(USER_BASE, 0, 0, 0, 4096, 0, REGION_USER)).toBe(USER_BASE); // reserve only
    expect(allocRegion(USER_BASE + 4096, 0, 0x7000, 0, 4096, 0, RW_USER | REGION_FIXED | REGION_UC)).toBe(USER_BASE + 4096);
    expect(protectRegion(USER_BASE, 0, 2 * 4096, 0, REGION_USER)).toBe(E.ERR_NONE);
    expect(s.machine.translate(USER_BASE, 0, READ, true).ok).toBe(false);
    expect(mapLinearToPhysical(USER_BASE + 4096, 0)).toBe(0x7000);
    expect(s.machine.probe(USER_BASE + 4096, 0, WRITE, true)).toBe(7);
    expect(s.machine.listMappings().find((m) => m.linear === BigInt(USER_BASE + 4096))?.physical).toBe(0x7000);
  });

  it('refuses bad calls with a defined error and changes nothing', () => {
    const s = setUp(mode);
    expect(allocRegion(USER_BASE, 0, 0, 0, 4 * 4096, 0, RW_USER)).toBe(USER_BASE);
    const kernel = allocKernelRegion(0, 0, 4096, 0, REGION_COMMIT | REGION_READWRITE);
    const kernelHi = pairHi;
    const io = mapIOMemory(0xfee00000 | 0, 0, 4096, 0, REGION_UC);
    const ioHi = pairHi;
    expect(E.isErrorCode(io)).toBe(0);
    const before = { leaves: leaves(s), free: frameFreeCount() };
    const cases: [string, () => number, string][] = [
      ['unaligned base', () => protectRegion(USER_BASE + 12, 0, 4096, 0, REGION_USER), 'ERR_UNALIGNED'],
      ['unaligned size', () => protectRegion(USER_BASE, 0, 4000, 0, REGION_USER), 'ERR_UNALIGNED'],
      ['zero size', () => protectRegion(USER_BASE, 0, 0, 0, REGION_USER), 'ERR_ZERO_SIZE'],
      ['a free page in the range', () => protectRegion(USER_BASE, 0, 5 * 4096, 0, REGION_USER), 'ERR_NOT_MAPPED'],
      ['nothing there', () => protectRegion(0x20000000, 0, 4096, 0, REGION_USER), 'ERR_NOT_MAPPED'],
      ['user range without USER', () => protectRegion(USER_BASE, 0, 4096, 0, 0), 'ERR_PERMISSION'],
      ['kernel range with USER', () => protectRegion(kernel, kernelHi, 4096, 0, REGION_USER), 'ERR_PERMISSION'],
      ['flags protect does not take', () => protectRegion(USER_BASE, 0, 4096, 0, REGION_USER | REGION_COMMIT), 'ERR_INVALID_ARGUMENT'],
      ['cache flags', () => protectRegion(USER_BASE, 0, 4096, 0, REGION_USER | REGION_UC), 'ERR_INVALID_ARGUMENT'],
      ['the I/O window', () => protectRegion(io & -4096, ioHi, 4096, 0, 0), 'ERR_PERMISSION'],
      ['across the user/kernel split', () => protectRegion(mode === 'two-level' || mode === 'pae' ? 0xbffff000 | 0 : -4096, mode === 'two-level' || mode === 'pae' ? 0 : mode === 'four-level' ? 0x7fff : 0xffffff, 8192, 0, REGION_USER), 'ERR_OUT_OF_RANGE'],
    ];
    for (const [what, call, expected] of cases) {
      expect(errorName(call()), what).toBe(expected);
      expect({ leaves: leaves(s), free: frameFreeCount() }, what).toEqual(before);
    }
    if (mode !== 'two-level' && mode !== 'pae') {
      // a non-canonical base (the hole between the halves)
      expect(errorName(protectRegion(0, mode === 'four-level' ? 0x8000 : 0x1000000, 4096, 0, 0))).toBe('ERR_NON_CANONICAL');
    }
  });
});
