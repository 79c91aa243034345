/*
 * The region API on i386, two-level and PAE, through the emulated MMU: the same calls as on
 * x86-64 (test/host/regions.test.ts) with 32-bit addresses, the 0xC0000000 split, no NX in
 * two-level mode, and the i386 forms of the EXOS defects.
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, type RegionSetup } from '../support/paging-setup.ts';
import { allocRegion, freeRegion, resizeRegion, isRegionFree, findFreeRegion, mapLinearToPhysical, allocKernelRegion } from '../../src/region/regions.ts';
import { REGION_COMMIT, REGION_READWRITE, REGION_USER, REGION_FIXED, REGION_NO_EXECUTE } from '../../src/region/region-flags.ts';
import { frameFreeCount, frameIsFree, frameAlloc } from '../../src/memory/frame-bitmap.ts';
import { addressSpaceCreate, addressSpaceRelease } from '../../src/paging/address-spaces.ts';
import * as E from '../../src/errors.ts';

const USER_LO = 0x10000000;
const RW_USER = REGION_COMMIT | REGION_READWRITE | REGION_USER;

describe.each(['two-level', 'pae'] as const)('regions, i386 %s', (mode) => {
  const setUp = (): RegionSetup => {
    const s = setUpRegionsI386(mode);
    s.machine.writeCr3(s.userRoot * 4096, 0);
    return s;
  };

  it('maps user pages with the rights asked and takes them back', () => {
    const s = setUp();
    const free = frameFreeCount();
    const mappings = s.machine.listMappings().length;
    expect(allocRegion(USER_LO, 0, 0, 0, 2 * 4096, 0, RW_USER | REGION_NO_EXECUTE)).toBe(USER_LO);
    expect(s.machine.probe(USER_LO + 4096, 0, 1, true)).toBe(-1);
    expect(s.machine.probe(USER_LO, 0, 2, true)).toBe(mode === 'pae' ? 0x15 : -1); // NX only with PAE
    const physical = mapLinearToPhysical(USER_LO, 0);
    expect(frameIsFree(physical >>> 12)).toBe(0);
    expect(freeRegion(USER_LO, 0, 2 * 4096, 0)).toBe(E.ERR_NONE);
    expect(frameFreeCount()).toBe(free);
    expect(s.machine.listMappings().length).toBe(mappings);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });

  it('kernel regions live above 0xC0000000 and are shared by every address space', () => {
    const s = setUp();
    const k = allocKernelRegion(0, 0, 4 * 1024 * 1024, 0, REGION_COMMIT | REGION_READWRITE);
    expect(k).toBe(0xd0000000 | 0);
    const other = addressSpaceCreate();
    s.machine.writeCr3(other * 4096, 0);
    expect(s.machine.probe((k + 0x3ff000) | 0, 0, 1, false)).toBe(-1);
    expect(s.machine.probe(k, 0, 0, true)).toBe(5); // not from ring 3
    s.machine.writeCr3(s.userRoot * 4096, 0);
    expect(addressSpaceRelease(other)).toBe(E.ERR_NONE);
    expect(allocRegion(k, 0, 0, 0, 4096, 0, RW_USER)).toBe(E.ERR_PERMISSION);
  });

  it('EXOS defect 6: the search stops at the top of kernel space and never wraps into user space', () => {
    setUp();
    expect(findFreeRegion(-8192, 0, 16384, 0)).toBe(E.ERR_NO_FREE_REGION);
    expect(findFreeRegion(0xbfffe000 | 0, 0, 16384, 0)).toBe(E.ERR_NO_FREE_REGION);
    expect(allocRegion(-4096, 0, 0, 0, 8192, 0, REGION_COMMIT)).toBe(E.ERR_OUT_OF_RANGE);
  });

  it('EXOS defects 3 and 4: reserve-only regions stay taken; FIXED frames stay their owner\'s', () => {
    setUp();
    expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, REGION_USER)).toBe(USER_LO);
    expect(isRegionFree(USER_LO, 0, 4096, 0)).toBe(0);
    const frame = frameAlloc();
    expect(allocRegion(USER_LO + 4096, 0, frame * 4096, 0, 4096, 0, RW_USER | REGION_FIXED)).toBe(USER_LO + 4096);
    expect(freeRegion(USER_LO, 0, 2 * 4096, 0)).toBe(E.ERR_NONE);
    expect(frameIsFree(frame)).toBe(0);
  });

  it('large pages where aligned (4 MiB two-level, 2 MiB PAE), split by a partial free', () => {
    const s = setUp();
    const size = 8 * 1024 * 1024;
    expect(allocRegion(0x20000000, 0, 0, 0, size, 0, RW_USER)).toBe(0x20000000);
    const leaf = s.machine.listMappings().find((m) => m.linear === 0x20000000n)!;
    expect(leaf.size).toBe(mode === 'pae' ? 2 * 1024 * 1024 : 4 * 1024 * 1024);
    expect(resizeRegion(0x20000000, 0, 0, 0, size, 0, size - 4096, 0, RW_USER)).toBe(0x20000000);
    expect(s.machine.probe(0x20000000 + size - 4096, 0, 0, true)).toBe(4);
    expect(s.machine.probe(0x20000000 + size - 8192, 0, 1, true)).toBe(-1);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });
});
