/*
 * mapIOMemory / unmapIOMemory on every paging mode, through the emulated MMU: offsets kept,
 * exactly the pages touched, explicit cache flags, never executable, never freed, refused over
 * managed RAM, protected from freeRegion, found again in constant time.
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import { mapIOMemory, unmapIOMemory, ioMappingCount } from '../../src/region/io-mappings.ts';
import { freeRegion } from '../../src/region/regions.ts';
import { walkTranslate, walkTranslatedFlags, walkTranslatedFrame } from '../../src/paging/walker.ts';
import { REGION_UC, REGION_WC, REGION_IO_ALLOW_RAM } from '../../src/region/region-flags.ts';
import { PAGE_UNCACHED, PAGE_WRITE_THROUGH, PAGE_NO_EXECUTE } from '../../src/paging/page-flags.ts';
import { frameFreeCount } from '../../src/memory/frame-bitmap.ts';
import { pairHi } from '../../src/int64/pair.ts';
import * as E from '../../src/errors.ts';

const DEVICE = 0xfe000000 | 0; // above the emulated RAM

const modes: [string, () => RegionSetup][] = [
  ['i386 two-level', () => setUpRegionsI386('two-level')],
  ['i386 PAE', () => setUpRegionsI386('pae')],
  ['x86-64 4-level', () => setUpRegionsX86_64(4)],
  ['x86-64 5-level', () => setUpRegionsX86_64(5)],
];

describe.each(modes)('I/O mappings, %s', (_name, setUp) => {
  it('keep the offset, cover exactly the pages touched, and carry the cache flags', () => {
    const s = setUp();
    const free = frameFreeCount();
    const lo = mapIOMemory((DEVICE + 0xff0) | 0, 0, 0x20, 0, REGION_UC);
    const hi = pairHi;
    expect(E.isErrorCode(lo)).toBe(0);
    expect(lo & 4095).toBe(0xff0);
    const base = lo & -4096;
    expect(walkTranslate(s.kernelRoot, base, hi)).toBe(DEVICE);
    expect(walkTranslatedFlags() & PAGE_UNCACHED).toBe(PAGE_UNCACHED);
    expect(walkTranslate(s.kernelRoot, (base + 4096) | 0, hi)).toBe((DEVICE + 4096) | 0);
    expect(walkTranslate(s.kernelRoot, (base + 8192) | 0, hi)).toBe(E.ERR_NOT_MAPPED);
    expect(ioMappingCount()).toBe(1);
    expect(unmapIOMemory(lo, hi, 0x20, 0)).toBe(E.ERR_NONE);
    expect(walkTranslate(s.kernelRoot, base, hi)).toBe(E.ERR_NOT_MAPPED);
    expect(frameFreeCount()).toBe(free);
    expect(s.machine.staleTlbEntries()).toEqual([]);
  });

  it('write-combining maps write-through, and device pages are never executable (where NX exists)', () => {
    const s = setUp();
    const lo = mapIOMemory(DEVICE, 0, 4096, 0, REGION_WC);
    walkTranslate(s.kernelRoot, lo, pairHi);
    expect(walkTranslatedFlags() & PAGE_WRITE_THROUGH).toBe(PAGE_WRITE_THROUGH);
    expect(walkTranslatedFrame()).toBe(DEVICE >>> 12);
    const nx = walkTranslatedFlags() & PAGE_NO_EXECUTE;
    expect(nx === PAGE_NO_EXECUTE || _name === 'i386 two-level').toBe(true);
  });

  it('refuse bad input, managed RAM, foreign frees and unknown unmaps - changing nothing', () => {
    const s = setUp();
    const mappings = s.machine.listMappings().length;
    expect(mapIOMemory(DEVICE, 0, 0, 0, REGION_UC)).toBe(E.ERR_ZERO_SIZE);
    expect(mapIOMemory(DEVICE, 0, 4096, 0, REGION_UC | REGION_WC)).toBe(E.ERR_INVALID_ARGUMENT);
    expect(mapIOMemory(DEVICE, 0, 4096, 0, 1)).toBe(E.ERR_INVALID_ARGUMENT);
    expect(mapIOMemory(0x01000000, 0, 4096, 0, REGION_UC)).toBe(E.ERR_OVERLAP); // RAM the bitmap hands out
    const lo = mapIOMemory(DEVICE, 0, 8192, 0, REGION_UC);
    const hi = pairHi;
    expect(freeRegion(lo, hi, 8192, 0)).toBe(E.ERR_PERMISSION);
    expect(unmapIOMemory(lo, hi, 4096, 0)).toBe(E.ERR_INVALID_ARGUMENT);
    expect(unmapIOMemory((lo + 4096) | 0, hi, 4096, 0)).toBe(E.ERR_NOT_MAPPED);
    expect(unmapIOMemory(lo, hi, 8192, 0)).toBe(E.ERR_NONE);
    expect(unmapIOMemory(lo, hi, 8192, 0)).toBe(E.ERR_NOT_MAPPED);
    expect(s.machine.listMappings().length).toBe(mappings);
    // asked for: RAM may be mapped as device memory, and is still never freed
    const free = frameFreeCount();
    const ram = mapIOMemory(0x01000000, 0, 4096, 0, REGION_UC | REGION_IO_ALLOW_RAM);
    expect(unmapIOMemory(ram, pairHi, 4096, 0)).toBe(E.ERR_NONE);
    expect(frameFreeCount()).toBe(free);
  });

  it('find each of many live mappings in constant time', () => {
    const s = setUp();
    const live: [number, number][] = [];
    for (let k = 0; k < 500; k++) {
      const lo = mapIOMemory((DEVICE + k * 4096) | 0, 0, 4096, 0, REGION_UC);
      expect(E.isErrorCode(lo)).toBe(0);
      live.push([lo, pairHi]);
    }
    s.machine.resetCounters();
    // unmapping the last one costs the same reads whether 1 or 500 mappings are live
    const [lastLo, lastHi] = live.pop()!;
    expect(unmapIOMemory(lastLo, lastHi, 4096, 0)).toBe(E.ERR_NONE);
    const readsWithMany = s.machine.counters.memReads;
    while (live.length > 1) {
      const [lo, hi] = live.pop()!;
      unmapIOMemory(lo, hi, 4096, 0);
    }
    s.machine.resetCounters();
    const [firstLo, firstHi] = live.pop()!;
    expect(unmapIOMemory(firstLo, firstHi, 4096, 0)).toBe(E.ERR_NONE);
    expect(readsWithMany).toBeLessThan(s.machine.counters.memReads * 3 + 40);
    expect(ioMappingCount()).toBe(0);
  });
});
