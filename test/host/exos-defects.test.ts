/*
 * The twelve defects of EXOS's memory manager (shared/notes/exos-reference.md, "Defects to design
 * out"), each as a named test that the original behaviour fails, in every paging mode.
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import { allocRegion, freeRegion, resizeRegion, isRegionFree, findFreeRegion, mapLinearToPhysical, regionsUseUserSpace } from '../../src/region/regions.ts';
import { mapIOMemory, unmapIOMemory } from '../../src/region/io-mappings.ts';
import { addressSpaceCreate, addressSpaceRelease } from '../../src/paging/address-spaces.ts';
import { walkTranslate, walkTranslatedLevel } from '../../src/paging/walker.ts';
import { tableAccessStrategy, TABLES_DIRECT } from '../../src/paging/table-access.ts';
import { REGION_COMMIT, REGION_READWRITE, REGION_USER, REGION_FIXED, REGION_UC, REGION_AT_OR_OVER } from '../../src/region/region-flags.ts';
import { frameAlloc, frameFreeCount, frameIsFree } from '../../src/memory/frame-bitmap.ts';
import { virtualSpaceCreate } from '../../src/region/virtual-space.ts';
import { pairHi } from '../../src/int64/pair.ts';
import * as E from '../../src/errors.ts';

const RW_USER = REGION_COMMIT | REGION_READWRITE | REGION_USER;
const USER_LO = 0x10000000;
const DEVICE = 0xfe000000 | 0;

const modes: [string, () => RegionSetup, number][] = [
  ['i386 two-level', () => setUpRegionsI386('two-level'), 32],
  ['i386 PAE', () => setUpRegionsI386('pae'), 32],
  ['x86-64 4-level', () => setUpRegionsX86_64(4), 48],
  ['x86-64 5-level', () => setUpRegionsX86_64(5), 57],
];

describe.each(modes)('EXOS defects, %s', (_name, setUp, addressBits) => {
  const userSetUp = (): RegionSetup => {
    const s = setUp();
    s.machine.writeCr3(s.userRoot * 4096, 0);
    return s;
  };

  it('1. size 0: nothing is mapped, and an exact base is never silently remapped', () => {
    const s = userSetUp();
    expect(allocRegion(USER_LO, 0, 0, 0, 0, 0, RW_USER)).toBe(E.ERR_ZERO_SIZE);
    expect(isRegionFree(USER_LO, 0, 0, 0)).toBe(E.ERR_ZERO_SIZE);
    expect(s.machine.probe(USER_LO, 0, 0, true)).toBe(4);
    allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER);
    const frame = mapLinearToPhysical(USER_LO, 0);
    expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER)).toBe(E.ERR_OVERLAP);
    expect(mapLinearToPhysical(USER_LO, 0)).toBe(frame);
  });

  it('2. unaligned base: refused; an I/O mapping with an offset is removed whole', () => {
    const s = userSetUp();
    expect(allocRegion(USER_LO + 0x800, 0, 0, 0, 4096, 0, RW_USER)).toBe(E.ERR_UNALIGNED);
    const lo = mapIOMemory((DEVICE + 0xf00) | 0, 0, 0x200, 0, REGION_UC); // touches two pages
    const hi = pairHi;
    expect(unmapIOMemory(lo, hi, 0x200, 0)).toBe(E.ERR_NONE);
    expect(walkTranslate(s.kernelRoot, lo & -4096, hi)).toBe(E.ERR_NOT_MAPPED);
    expect(walkTranslate(s.kernelRoot, ((lo & -4096) + 4096) | 0, hi)).toBe(E.ERR_NOT_MAPPED);
  });

  it('3. reserve-only regions are visible to isRegionFree and findFreeRegion, never handed out twice', () => {
    userSetUp();
    expect(allocRegion(USER_LO, 0, 0, 0, 2 * 4096, 0, REGION_USER)).toBe(USER_LO);
    expect(isRegionFree(USER_LO, 0, 4096, 0)).toBe(0);
    expect(findFreeRegion(USER_LO, 0, 4096, 0)).toBe(USER_LO + 2 * 4096);
    expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER | REGION_AT_OR_OVER)).toBe(USER_LO + 2 * 4096);
  });

  it('4. a Target is never freed by freeRegion: it needs an owner (FIXED or IO), whose frames stay', () => {
    userSetUp();
    const frame = frameAlloc();
    expect(allocRegion(USER_LO, 0, frame * 4096, 0, 4096, 0, RW_USER)).toBe(E.ERR_INVALID_ARGUMENT);
    expect(allocRegion(USER_LO, 0, frame * 4096, 0, 4096, 0, RW_USER | REGION_FIXED)).toBe(USER_LO);
    expect(freeRegion(USER_LO, 0, 4096, 0)).toBe(E.ERR_NONE);
    expect(frameIsFree(frame)).toBe(0);
  });

  it('5. a frame is never owned twice; shared kernel tables are never freed while shared', () => {
    const s = userSetUp();
    allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER);
    const first = mapLinearToPhysical(USER_LO, 0) >>> 12;
    allocRegion(USER_LO + 4096, 0, 0, 0, 4096, 0, RW_USER);
    expect(mapLinearToPhysical(USER_LO + 4096, 0) >>> 12).not.toBe(first);
    // a kernel mapping made through the kernel root shows in the user root, and survives its teardown
    const other = addressSpaceCreate();
    const k = allocRegion(0, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_READWRITE | REGION_AT_OR_OVER);
    expect(E.isErrorCode(k)).toBe(0);
    const kHi = pairHi;
    const physical = walkTranslate(s.kernelRoot, k, kHi);
    expect(walkTranslate(other, k, kHi)).toBe(physical);
    expect(addressSpaceRelease(other)).toBe(E.ERR_NONE);
    expect(walkTranslate(s.kernelRoot, k, kHi)).toBe(physical);
    expect(walkTranslate(s.userRoot, k, kHi)).toBe(physical);
    expect(s.machine.probe(k, kHi, 1, false)).toBe(-1);
  });

  it('6. the free-region search never returns a reserved window, never wraps, never crosses halves', () => {
    userSetUp();
    if (addressBits === 32) {
      expect(findFreeRegion(0xbfffe000 | 0, 0, 16384, 0)).toBe(E.ERR_NO_FREE_REGION);
      expect(findFreeRegion(-8192, 0, 16384, 0)).toBe(E.ERR_NO_FREE_REGION);
    } else {
      const top = addressBits === 57 ? 0x1000000 : 0x8000;
      expect(findFreeRegion(-8192, top - 1, 16384, 0)).toBe(E.ERR_NO_FREE_REGION);
      expect(findFreeRegion(-8192, -1, 16384, 0)).toBe(E.ERR_NO_FREE_REGION);
      // the direct-map window [0xFFFFFFFF80000000, +1 GiB) is taken: a search from its start lands past it
      expect(findFreeRegion(0x80000000 | 0, -1, 4096, 0)).toBe(0xc0000000 | 0);
      expect(pairHi).toBe(-1);
    }
  });

  it('7. region calls check base, target and flags against the user/kernel split', () => {
    userSetUp();
    const kernelLo = addressBits === 32 ? 0xd0000000 | 0 : 0;
    const kernelHi = addressBits === 32 ? 0 : addressBits === 57 ? -0x1000000 : -0x8000;
    expect(allocRegion(kernelLo, kernelHi, 0, 0, 4096, 0, RW_USER)).toBe(E.ERR_PERMISSION);
    expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_READWRITE)).toBe(E.ERR_PERMISSION);
    expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER | 0x40000)).toBe(E.ERR_INVALID_ARGUMENT);
    expect(allocRegion(USER_LO, 0, 0x1234, 0, 4096, 0, RW_USER | REGION_FIXED)).toBe(E.ERR_UNALIGNED);
  });

  it('8. tearing an address space down frees its tables and frames, not just its root', () => {
    const s = setUp();
    const free = frameFreeCount();
    const root = addressSpaceCreate();
    const space = virtualSpaceCreate(0x400000, 0, addressBits === 32 ? 0xc0000000 | 0 : 0, addressBits === 32 ? 0 : addressBits === 57 ? 0x1000000 : 0x8000);
    regionsUseUserSpace(root, space);
    allocRegion(USER_LO, 0, 0, 0, 64 * 4096, 0, RW_USER);
    allocRegion(0x40000000, 0, 0, 0, 4096, 0, RW_USER);
    regionsUseUserSpace(s.userRoot, s.userSpace);
    expect(addressSpaceRelease(root)).toBe(E.ERR_NONE);
    expect(frameFreeCount()).toBe(free);
  });

  it('9. one manager, one caller at a time: temporary slots and walks hold nothing between calls', () => {
    userSetUp();
    expect(tableAccessStrategy()).toBe(TABLES_DIRECT);
    allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER);
    // every call leaves the manager idle: the next call, from anyone, starts from a clean state
    expect(freeRegion(USER_LO, 0, 4096, 0)).toBe(E.ERR_NONE);
    expect(freeRegion(USER_LO, 0, 4096, 0)).toBe(E.ERR_NOT_MAPPED);
  });

  it('10. resize with sizes that are not whole pages is refused instead of drifting', () => {
    userSetUp();
    allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER);
    expect(resizeRegion(USER_LO, 0, 0, 0, 4096, 0, 6000, 0, RW_USER)).toBe(E.ERR_UNALIGNED);
    expect(resizeRegion(USER_LO, 0, 0, 0, 3000, 0, 8192, 0, RW_USER)).toBe(E.ERR_UNALIGNED);
    expect(resizeRegion(USER_LO, 0, 0, 0, 4096, 0, 8192, 0, RW_USER)).toBe(USER_LO);
    expect(isRegionFree(USER_LO + 4096, 0, 4096, 0)).toBe(0);
  });

  it('11. presence is checked at the right level: large leaves are seen as pages, tables as tables', () => {
    const s = userSetUp();
    const large = addressBits === 32 && _name.includes('two-level') ? 4 << 20 : 2 << 20;
    expect(allocRegion(0x20000000, 0, 0, 0, large, 0, RW_USER)).toBe(0x20000000);
    walkTranslate(s.userRoot, 0x20000000 + 4096, 0);
    expect(walkTranslatedLevel()).toBe(2);
    expect(isRegionFree(0x20000000 + large, 0, 4096, 0)).toBe(1);
    expect(walkTranslate(s.userRoot, 0x20000000 + large, 0)).toBe(E.ERR_NOT_MAPPED);
  });

  it('12. building an address space never aliases a table the caller is using', () => {
    const s = userSetUp();
    allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER);
    const before = mapLinearToPhysical(USER_LO, 0);
    const other = addressSpaceCreate();
    expect(mapLinearToPhysical(USER_LO, 0)).toBe(before);
    expect(walkTranslate(other, USER_LO, 0)).toBe(E.ERR_NOT_MAPPED);
    expect(s.machine.staleTlbEntries()).toEqual([]);
    expect(addressSpaceRelease(other)).toBe(E.ERR_NONE);
  });
});
