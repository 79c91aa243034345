/*
 * allocPageTables (seed 000, step 4): several consecutive tables for a large range in one call,
 * in all four paging modes - zeroed, counted, linked with the rights asked, taken as one
 * contiguous block when there is one, only the missing ones created (their parents once), and
 * all or nothing: every refused or failed call leaves tables, counters and the bitmap as they were.
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import { allocPageTable, allocPageTables, PAGE_TABLES_MAX } from '../../src/region/page-directories.ts';
import { allocRegion } from '../../src/region/regions.ts';
import { frameAlloc, frameFree, frameFreeCount, frameInjectFailure } from '../../src/memory/frame-bitmap.ts';
import { frameCounterGet } from '../../src/memory/frame-counters.ts';
import { walkDescend, walkDescendLevel, WALK_LOOK } from '../../src/paging/walker.ts';
import { PAGE_WRITE, PAGE_USER, PAGE_NO_EXECUTE } from '../../src/paging/page-flags.ts';
import { REGION_COMMIT, REGION_READWRITE, REGION_USER } from '../../src/region/region-flags.ts';
import { errorName } from '../support/errors.ts';

type Mode = 'two-level' | 'pae' | 'four-level' | 'five-level';
const MODES: Mode[] = ['two-level', 'pae', 'four-level', 'five-level'];
const levelsOf = (mode: Mode): number => ({ 'two-level': 2, pae: 3, 'four-level': 4, 'five-level': 5 })[mode];
/** Bytes one page table covers: 4 MiB in two-level paging, 2 MiB elsewhere. */
const tableSpan = (mode: Mode): number => (mode === 'two-level' ? 4 << 20 : 2 << 20);
const USER_RW = PAGE_WRITE | PAGE_USER;

const setUp = (mode: Mode): RegionSetup => {
  const s = mode === 'two-level' || mode === 'pae' ? setUpRegionsI386(mode) : setUpRegionsX86_64(levelsOf(mode) as 4 | 5);
  s.machine.writeCr3(s.userRoot * 4096, 0);
  return s;
};

/** The frame of the table of `level` holding `address` in `root`, or -1 when there is none. */
const tableAt = (root: number, address: number, level: number): number => {
  const table = walkDescend(root, address, 0, level, 0, WALK_LOOK);
  return walkDescendLevel() === level ? table : -1;
};

const isZero = (s: RegionSetup, frame: number): boolean => {
  for (let offset = 0; offset < 4096; offset += 4) if (s.machine.readPhys32(frame * 4096 + offset) !== 0) return false;
  return true;
};

/** Every leaf, the free count and the counters of the tables at `addresses`: what a failed call must keep. */
const state = (s: RegionSetup, addresses: number[]) => ({
  free: frameFreeCount(),
  tables: addresses.map((a) => tableAt(s.userRoot, a, 1)),
  leaves: s.machine.listMappings().length,
});

describe.each(MODES)('allocPageTables, %s', (mode) => {
  const span = tableSpan(mode);
  // a base whose page tables sit at the start of a page directory (x86-64, PAE: a 1 GiB boundary)
  const BASE = 0x40000000;

  it('makes eight consecutive page tables in one call: zeroed, counted, linked, side by side', () => {
    const s = setUp(mode);
    // fragment the bitmap: one frame at a time, tables would land in these holes, not side by side
    const taken = Array.from({ length: 64 }, () => frameAlloc());
    for (let k = 0; k < taken.length; k += 2) frameFree(taken[k]!);
    const free = frameFreeCount();
    const first = allocPageTables(s.userRoot, BASE, 0, 1, 8, USER_RW);
    expect(first).toBeGreaterThan(0);
    const tables = Array.from({ length: 8 }, (_, k) => tableAt(s.userRoot, BASE + k * span, 1));
    expect(tables[0]).toBe(first);
    // the block came out of one contiguous run, taken in ascending order
    for (let k = 1; k < 8; k++) expect(tables[k], `table ${k}`).toBe(first + k);
    for (const t of tables) {
      expect(isZero(s, t)).toBe(true);
      expect(frameCounterGet(t)).toBe(0);
    }
    // the parents it had to make: none in two-level paging, the directory (and above) elsewhere
    const parents = free - frameFreeCount() - 8;
    expect(parents).toBe(mode === 'two-level' ? 0 : mode === 'pae' ? 1 : levelsOf(mode) - 2);
    if (mode !== 'two-level') expect(frameCounterGet(tableAt(s.userRoot, BASE, 2))).toBe(8);
    // asking again changes nothing and finds the same tables
    expect(allocPageTables(s.userRoot, BASE, 0, 1, 8, USER_RW)).toBe(first);
    expect(allocPageTable(s.userRoot, BASE + 5 * span, 0, 1, USER_RW)).toBe(first + 5);
    expect(frameFreeCount()).toBe(free - 8 - parents);
  });

  it('a region mapped over the range uses those tables and needs no new one', () => {
    const s = setUp(mode);
    const first = allocPageTables(s.userRoot, BASE, 0, 1, 4, USER_RW);
    const free = frameFreeCount();
    expect(allocRegion(BASE, 0, 0, 0, 4 * span, 0, REGION_COMMIT | REGION_READWRITE | REGION_USER | 512)).toBe(BASE);
    expect(free - frameFreeCount()).toBe((4 * span) / 4096); // the data frames only
    expect(tableAt(s.userRoot, BASE + 3 * span, 1)).toBe(first + 3);
    expect(frameCounterGet(first + 3)).toBe(span / 4096);
    expect(s.machine.probe(BASE + 4 * span - 4096, 0, 1, true)).toBe(-1);
  });

  it('only the missing tables are created, and a parent shared by several of them once', () => {
    const s = setUp(mode);
    // the run crosses into the next page directory (x86-64 and PAE) half-way
    const start = BASE - 2 * span;
    const existing = allocPageTable(s.userRoot, start + span, 0, 1, USER_RW);
    const free = frameFreeCount();
    const first = allocPageTables(s.userRoot, start, 0, 1, 4, USER_RW);
    expect(first).toBeGreaterThan(0);
    expect(tableAt(s.userRoot, start + span, 1)).toBe(existing);
    const newDirectories = mode === 'two-level' ? 0 : 1; // the directory for [BASE, BASE + 1 GiB)
    expect(free - frameFreeCount()).toBe(3 + newDirectories);
  });

  it('refuses a run with a large page where a table must go, and changes nothing', () => {
    const s = setUp(mode);
    const large = mode === 'two-level' ? 4 << 20 : 2 << 20;
    expect(allocRegion(BASE + 2 * span, 0, 0, 0, large, 0, REGION_COMMIT | REGION_READWRITE | REGION_USER)).toBe(BASE + 2 * span);
    const before = state(s, [BASE, BASE + span, BASE + 2 * span]);
    expect(errorName(allocPageTables(s.userRoot, BASE, 0, 1, 4, USER_RW))).toBe('ERR_ALREADY_MAPPED');
    expect(state(s, [BASE, BASE + span, BASE + 2 * span])).toEqual(before);
  });

  it('out of memory at the k-th allocation, for every k: an error, and nothing changed', () => {
    const s = setUp(mode);
    const addresses = Array.from({ length: 6 }, (_, k) => BASE - 3 * span + k * span);
    for (let k = 1; ; k++) {
      const before = state(s, addresses);
      frameInjectFailure(k);
      const result = allocPageTables(s.userRoot, BASE - 3 * span, 0, 1, 6, USER_RW);
      frameInjectFailure(0);
      if (result > 0) break;
      expect(errorName(result)).toBe('ERR_OUT_OF_MEMORY');
      expect(state(s, addresses)).toEqual(before);
      expect(k).toBeLessThan(20);
    }
    for (const a of addresses) expect(tableAt(s.userRoot, a, 1)).toBeGreaterThan(0);
  });

  it('refuses bad calls with a defined error and changes nothing', () => {
    const s = setUp(mode);
    const before = state(s, [BASE]);
    const i386 = mode === 'two-level' || mode === 'pae';
    const userTopHi = mode === 'four-level' ? 0x7fff : 0xffffff; // the high half of 2^47 - 1 or 2^56 - 1
    const kernelHi = mode === 'four-level' ? -0x8000 : mode === 'five-level' ? -0x1000000 : 0;
    const kernelLo = mode === 'two-level' || mode === 'pae' ? 0xd0000000 | 0 : 0;
    const cases: [string, () => number, string][] = [
      ['count 0', () => allocPageTables(s.userRoot, BASE, 0, 1, 0, USER_RW), 'ERR_INVALID_ARGUMENT'],
      ['count too large', () => allocPageTables(s.userRoot, BASE, 0, 1, PAGE_TABLES_MAX + 1, USER_RW), 'ERR_INVALID_ARGUMENT'],
      ['level 0', () => allocPageTables(s.userRoot, BASE, 0, 0, 1, USER_RW), 'ERR_INVALID_ARGUMENT'],
      ['the root level', () => allocPageTables(s.userRoot, BASE, 0, levelsOf(mode), 1, USER_RW), 'ERR_INVALID_ARGUMENT'],
      ['no root', () => allocPageTables(-1, BASE, 0, 1, 1, USER_RW), 'ERR_INVALID_ARGUMENT'],
      ['a leaf-only flag', () => allocPageTables(s.userRoot, BASE, 0, 1, 1, USER_RW | PAGE_NO_EXECUTE), 'ERR_INVALID_ARGUMENT'],
      ['USER in kernel space', () => allocPageTables(s.userRoot, kernelLo, kernelHi, 1, 1, USER_RW), 'ERR_PERMISSION'],
      // the last user table, then one more: kernel space (i386) or the canonical hole (x86-64)
      ['a user run reaching past user space', () => allocPageTables(s.userRoot, i386 ? 0xc0000000 - span : -span, i386 ? 0 : userTopHi, 1, 2, USER_RW), i386 ? 'ERR_PERMISSION' : 'ERR_NON_CANONICAL'],
      ['a run past the top of the address space', () => allocPageTables(s.kernelRoot, -span, i386 ? 0 : -1, 1, 2, PAGE_WRITE), 'ERR_OVERFLOW'],
    ];
    for (const [what, call, expected] of cases) {
      expect(errorName(call()), what).toBe(expected);
      expect(state(s, [BASE]), what).toEqual(before);
    }
    if (mode === 'four-level' || mode === 'five-level') {
      expect(errorName(allocPageTables(s.userRoot, 0, mode === 'four-level' ? 0x8000 : 0x1000000, 1, 1, USER_RW))).toBe('ERR_NON_CANONICAL');
    }
  });
});
