/*
 * The region API on x86-64, every claim checked through the emulated MMU: what is mapped, with
 * which rights, to which frames; what every error leaves behind (nothing); and each of the EXOS
 * defects (shared/notes/exos-reference.md) as a named test that the original behaviour fails.
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import {
  allocRegion,
  freeRegion,
  resizeRegion,
  isRegionFree,
  findFreeRegion,
  mapLinearToPhysical,
  allocKernelRegion,
} from '../../src/region/regions.ts';
import {
  REGION_COMMIT,
  REGION_READWRITE,
  REGION_USER,
  REGION_AT_OR_OVER,
  REGION_FIXED,
  REGION_NO_EXECUTE,
  REGION_UC,
  REGION_IO,
} from '../../src/region/region-flags.ts';
import { frameFreeCount, frameIsFree, frameAlloc } from '../../src/memory/frame-bitmap.ts';
import { pairHi } from '../../src/int64/pair.ts';
import * as E from '../../src/errors.ts';

const USER_LO = 0x10000000; // 256 MiB
const RW_USER = REGION_COMMIT | REGION_READWRITE | REGION_USER;

const snapshot = (s: RegionSetup) => ({
  free: frameFreeCount(),
  mappings: s.machine.listMappings().length,
});

describe.each([4, 5] as const)('regions, %i-level', (levels) => {
  const setUp = (): RegionSetup => {
    const s = setUpRegionsX86_64(levels);
    s.machine.writeCr3(s.userRoot * 4096, 0);
    return s;
  };

  it('allocRegion maps fresh frames with the rights asked, freeRegion takes them back', () => {
    const s = setUp();
    const before = snapshot(s);
    expect(allocRegion(USER_LO, 0, 0, 0, 3 * 4096, 0, RW_USER | REGION_NO_EXECUTE)).toBe(USER_LO);
    expect(pairHi).toBe(0);
    expect(s.machine.probe(USER_LO + 8192, 0, 1, true)).toBe(-1);
    expect(s.machine.probe(USER_LO, 0, 2, true)).toBe(0x15); // NX
    expect(s.machine.probe(USER_LO + 3 * 4096, 0, 0, true)).toBe(4); // past the end
    const physical = mapLinearToPhysical(USER_LO + 4096 + 12, 0);
    expect(frameIsFree(Math.floor(physical / 4096))).toBe(0);
    expect(isRegionFree(USER_LO, 0, 4096, 0)).toBe(0);
    expect(freeRegion(USER_LO, 0, 3 * 4096, 0)).toBe(E.ERR_NONE);
    expect(snapshot(s)).toEqual(before);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });

  it('searches with base 0 and AT_OR_OVER, and never hands out a taken range twice', () => {
    const s = setUp();
    const a = allocRegion(0, 0, 0, 0, 8192, 0, RW_USER);
    expect(a).toBe(0x400000);
    const b = allocRegion(0x400000, 0, 0, 0, 4096, 0, RW_USER | REGION_AT_OR_OVER);
    expect(b).toBe(0x402000);
    expect(findFreeRegion(0x400000, 0, 4096, 0)).toBe(0x403000);
    expect(allocRegion(0x401000, 0, 0, 0, 4096, 0, RW_USER)).toBe(E.ERR_OVERLAP);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });

  it('kernel regions come from the kernel half and are refused user rights', () => {
    setUp();
    const k = allocKernelRegion(0, 0, 2 * 1024 * 1024, 0, REGION_COMMIT | REGION_READWRITE);
    expect(E.isErrorCode(k)).toBe(0);
    expect(pairHi).toBe((levels === 5 ? -0x1000000 : -0x8000) + 0x100);
    expect(allocKernelRegion(0, 0, 4096, 0, REGION_COMMIT | REGION_USER)).toBe(E.ERR_PERMISSION);
    expect(allocRegion(0, levels === 5 ? -0x1000000 : -0x8000, 0, 0, 4096, 0, RW_USER)).toBe(E.ERR_PERMISSION);
  });

  it('resizeRegion grows into free space and shrinks, touching only the difference', () => {
    const s = setUp();
    allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER);
    expect(resizeRegion(USER_LO, 0, 0, 0, 4096, 0, 4 * 4096, 0, RW_USER)).toBe(USER_LO);
    expect(s.machine.probe(USER_LO + 3 * 4096, 0, 1, true)).toBe(-1);
    expect(resizeRegion(USER_LO, 0, 0, 0, 4 * 4096, 0, 4096, 0, RW_USER)).toBe(USER_LO);
    expect(s.machine.probe(USER_LO + 4096, 0, 0, true)).toBe(4);
    expect(s.machine.probe(USER_LO, 0, 0, true)).toBe(-1);
    allocRegion(USER_LO + 2 * 4096, 0, 0, 0, 4096, 0, RW_USER);
    expect(resizeRegion(USER_LO, 0, 0, 0, 4096, 0, 3 * 4096, 0, RW_USER)).toBe(E.ERR_OVERLAP);
  });

  it('bad input: a defined error and no change', () => {
    const s = setUp();
    const before = snapshot(s);
    expect(allocRegion(USER_LO, 0, 0, 0, 0, 0, RW_USER)).toBe(E.ERR_ZERO_SIZE);
    expect(allocRegion(USER_LO, 0, 0, 0, 100, 0, RW_USER)).toBe(E.ERR_UNALIGNED);
    expect(allocRegion(USER_LO + 12, 0, 0, 0, 4096, 0, RW_USER)).toBe(E.ERR_UNALIGNED);
    expect(allocRegion(0, levels === 5 ? 0x1000000 : 0x10000, 0, 0, 4096, 0, REGION_COMMIT)).toBe(E.ERR_NON_CANONICAL);
    expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, REGION_COMMIT)).toBe(E.ERR_PERMISSION); // user space, no USER flag
    expect(allocRegion(-4096, -1, 0, 0, 8192, 0, REGION_COMMIT)).toBe(E.ERR_OVERFLOW);
    expect(allocRegion(USER_LO, 0, 0x5000, 0, 4096, 0, RW_USER)).toBe(E.ERR_INVALID_ARGUMENT); // Target without owner
    expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, 1 << 20)).toBe(E.ERR_INVALID_ARGUMENT);
    expect(freeRegion(USER_LO, 0, 4096, 0)).toBe(E.ERR_NOT_MAPPED);
    expect(snapshot(s)).toEqual(before);
  });

  describe('EXOS defects', () => {
    it('1. size 0 maps nothing and is an error', () => {
      const s = setUp();
      expect(allocRegion(USER_LO, 0, 0, 0, 0, 0, RW_USER)).toBe(E.ERR_ZERO_SIZE);
      expect(isRegionFree(USER_LO, 0, 0, 0)).toBe(E.ERR_ZERO_SIZE);
      expect(s.machine.probe(USER_LO, 0, 0, true)).toBe(4);
    });

    it('3. reserve-only regions are visible to isRegionFree and findFreeRegion', () => {
      setUp();
      expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, REGION_USER)).toBe(USER_LO);
      expect(isRegionFree(USER_LO, 0, 4096, 0)).toBe(0);
      expect(findFreeRegion(USER_LO, 0, 4096, 0)).toBe(USER_LO + 4096);
      expect(allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER)).toBe(E.ERR_OVERLAP);
    });

    it('4. a FIXED target is never freed by freeRegion', () => {
      const s = setUp();
      const frame = frameAlloc();
      expect(allocRegion(USER_LO, 0, frame * 4096, 0, 4096, 0, RW_USER | REGION_FIXED)).toBe(USER_LO);
      expect(mapLinearToPhysical(USER_LO, 0)).toBe(frame * 4096);
      expect(freeRegion(USER_LO, 0, 4096, 0)).toBe(E.ERR_NONE);
      expect(frameIsFree(frame)).toBe(0); // still its owner's
      expect(s.machine.staleTlbEntries()).toEqual([]);
    });

    it('6. findFreeRegion never crosses into the other half or wraps', () => {
      setUp();
      const top = levels === 5 ? 0x1000000 : 0x8000;
      expect(findFreeRegion(-4096, top - 1, 8192, 0)).toBe(E.ERR_NO_FREE_REGION);
      expect(findFreeRegion(-4096, -1, 8192, 0)).toBe(E.ERR_NO_FREE_REGION);
    });

    it('10. resize with unaligned sizes is refused, not drifted', () => {
      setUp();
      allocRegion(USER_LO, 0, 0, 0, 4096, 0, RW_USER);
      expect(resizeRegion(USER_LO, 0, 0, 0, 4096, 0, 5000, 0, RW_USER)).toBe(E.ERR_UNALIGNED);
      expect(resizeRegion(USER_LO, 0, 0, 0, 4000, 0, 8192, 0, RW_USER)).toBe(E.ERR_UNALIGNED);
    });
  });

  it('uncached flags land in the entry; IO targets are never freed', () => {
    const s = setUp();
    expect(allocRegion(USER_LO, 0, 0xfee00000 | 0, 0, 4096, 0, REGION_COMMIT | REGION_READWRITE | REGION_UC | REGION_IO | REGION_USER)).toBe(USER_LO);
    const leaf = s.machine.listMappings().find((m) => m.linear === BigInt(USER_LO))!;
    expect(leaf).toBeDefined();
    expect(freeRegion(USER_LO, 0, 4096, 0)).toBe(E.ERR_NONE);
  });
});
