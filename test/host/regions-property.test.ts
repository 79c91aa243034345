/*
 * The region property test (test/host/regions-property-harness.ts: the region API against the
 * reference model of test/host/regions-model.ts, by random sequences of calls, in every paging
 * mode) runs from one file per mode, test/host/regions-property-<mode>.test.ts, so that each stays
 * short and vitest can run the modes in parallel. This file holds what those runs found: the
 * minimal reproductions of the bugs, one named test each (they fail until src/ is fixed; their
 * sequences are in test/fixtures/regions-seeds.ts as regression cases too).
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import { allocKernelRegion, allocRegion, findFreeRegion, freeRegion, isRegionFree, mapLinearToPhysical, resizeRegion } from '../../src/region/regions.ts';
import { frameFreeCount, frameIsFree } from '../../src/memory/frame-bitmap.ts';
import { REGION_COMMIT, REGION_FIXED, REGION_READWRITE, REGION_UC, REGION_USER } from '../../src/region/region-flags.ts';
import { pairHi } from '../../src/int64/pair.ts';
import * as E from '../../src/errors.ts';
import { errorName } from '../support/errors.ts';
import { MODES, hexAddress, toAddress, toPair, type ModeName } from './regions-model.ts';
import { mapIOMemory, ioMappingCount } from '../../src/region/io-mappings.ts';
import { RAM_BYTES } from './regions-property-harness.ts';

// ---- bugs found: minimal reproductions (they fail until src/ is fixed) -----------------------

const setUpMode = (mode: ModeName): RegionSetup => {
  const s = mode === 'two-level' || mode === 'pae' ? setUpRegionsI386(mode, RAM_BYTES) : setUpRegionsX86_64(mode === 'five-level' ? 5 : 4, RAM_BYTES);
  s.machine.writeCr3(s.userRoot * 4096, 0); // a process is running
  return s;
};

describe.each(MODES)('bugs found while testing the region API (minimal reproductions), %s', (mode) => {
  it('bug 1: a kernel page freed while a user address space is loaded must not stay reachable through the TLB', () => {
    // Kernel ranges are shared by every root, so a kernel mapping removed through the kernel's root
    // disappears from the loaded user root too - but the walker flushes only when the root it
    // changes is the one in CR3 (tlbGatherBegin(walkRootIsActive(root))), so nothing is flushed.
    const s = setUpMode(mode);
    const k = allocKernelRegion(0, 0, 2 * 4096, 0, REGION_COMMIT | REGION_READWRITE);
    const hi = pairHi;
    expect(E.isErrorCode(k)).toBe(0);
    expect(s.machine.probe(k, hi, 1, false)).toBe(-1); // the kernel writes to it: the TLB caches it
    expect(s.machine.probe((k + 4096) | 0, hi, 1, false)).toBe(-1); // (a second page keeps the page table alive)
    expect(freeRegion(k, hi, 4096, 0)).toBe(E.ERR_NONE);
    expect(s.machine.staleTlbEntries().map((e) => hexAddress(e.linear))).toEqual([]);
    expect(s.machine.probe(k, hi, 0, false), 'the freed page faults').not.toBe(-1);
  });

  it.runIf(mode === 'four-level' || mode === 'five-level')('bug 2: growing the region at the very top of the address space must fail, not wrap to 0', () => {
    // resizeRegion computes the tail as base + size with add64, which wraps to 0:0 at 2^64;
    // allocRegion then takes base 0 as "search from the default base" and maps the grown part
    // somewhere else entirely, and the resize reports success.
    const s = setUpMode(mode);
    const flags = REGION_COMMIT | REGION_READWRITE;
    expect(allocRegion(-4096, -1, 0, 0, 4096, 0, flags)).toBe(-4096); // 0xFFFFFFFFFFFFF000
    const free = frameFreeCount();
    const mappings = s.machine.listMappings().length;
    const result = resizeRegion(-4096, -1, 0, 0, 4096, 0, 8192, 0, flags);
    expect(E.isErrorCode(result) === 1 ? errorName(result) : `success (${hexAddress(toAddress(result, pairHi))})`).toBe('ERR_OVERFLOW');
    expect(frameFreeCount(), 'no frame taken').toBe(free);
    expect(s.machine.listMappings().length, 'nothing mapped elsewhere').toBe(mappings);
    expect(isRegionFree(s.kernelRegionsLo, s.kernelRegionsHi, 4096, 0), 'the kernel region base is still free').toBe(1);
  });

  it("bug 4: freeRegion must not free another owner's frames through the set-up's view of memory", () => {
    // The kernel's view of physical memory (x86-64's direct map at 0xFFFFFFFF80000000, i386's low
    // memory at 0xC0000000) is reserved in the kernel's free-space index and mapped without
    // PAGE_FOREIGN - here by paging-setup.ts, and the same way by memory-manager-init.ts - so
    // freeRegion accepts any part of it ("every page taken") and frees the frames behind it:
    // frames that belong to other regions, page tables, the index's own pool. The I/O window is
    // refused (ERR_PERMISSION); these windows are not. Freeing a user page's frame this way leaves
    // it mapped in user space and free in the bitmap.
    const s = setUpMode(mode);
    expect(allocRegion(0x10000000, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_READWRITE | REGION_USER)).toBe(0x10000000);
    const frame = mapLinearToPhysical(0x10000000, 0) >>> 12;
    const window = mode === 'two-level' || mode === 'pae' ? 0xc0000000n : 0xffffffff80000000n;
    const [lo, hi] = toPair(window + BigInt(frame) * 4096n);
    const result = freeRegion(lo, hi, 4096, 0);
    expect(frameIsFree(frame), "the user page's frame stays allocated").toBe(0);
    expect(errorName(result)).toBe('ERR_PERMISSION');
    expect(s.machine.translate(lo, hi, 0, false).ok, 'the kernel still sees the frame').toBe(true);
  });

  it.runIf(mode === 'two-level')('bug 5: a FIXED target that two-level entries cannot hold is refused, not truncated', () => {
    // regionCheckFlags accepts any Target below 2^52 and walkMapRange encodes it as it is; a
    // two-level PTE holds a 32-bit physical address and a 4 MiB PDE a 40-bit one (PSE-36), so
    // the frame is cut: 4 GiB + 20 KiB is mapped as 20 KiB (a RAM frame of someone else - the
    // call succeeds), and 1 TiB with a 4 MiB page as physical 0.
    const s = setUpMode(mode);
    const flags = REGION_COMMIT | REGION_READWRITE | REGION_USER | REGION_FIXED;
    const small = allocRegion(0x10000000, 0, 0x5000, 1, 4096, 0, flags);
    expect(['ERR_OUT_OF_RANGE', 'ERR_UNSUPPORTED']).toContain(errorName(small));
    expect(s.machine.translate(0x10000000, 0, 0, true).ok, 'nothing mapped').toBe(false);
    const large = allocRegion(0x20000000, 0, 0, 0x100, 4 << 20, 0, flags);
    expect(['ERR_OUT_OF_RANGE', 'ERR_UNSUPPORTED']).toContain(errorName(large));
    expect(s.machine.translate(0x20000000, 0, 0, true).ok, 'nothing mapped').toBe(false);
  });

  it('bug 6: findFreeRegion from an unaligned start searches the space the start lies in', () => {
    // Since the fix of bug 3, findFreeRegion rounds an unaligned start up before it picks the
    // space: a start in the last user page becomes the first kernel page, so i386 returns a
    // kernel address for a user start (EXOS defect 6 again: the search crosses into the other
    // half), and x86-64 reports ERR_NON_CANONICAL for a canonical start. Nothing fits at or
    // above it in its own space: ERR_NO_FREE_REGION.
    setUpMode(mode);
    const userEnd = mode === 'two-level' || mode === 'pae' ? 0xc0000000n : mode === 'four-level' ? 1n << 47n : 1n << 56n;
    const [lo, hi] = toPair(userEnd - 4096n + 0x123n);
    const found = findFreeRegion(lo, hi, 4096, 0);
    expect(E.isErrorCode(found) === 1 ? errorName(found) : hexAddress(toAddress(found, pairHi))).toBe('ERR_NO_FREE_REGION');
    // the same at the other end: a start in the last page below user space (no space: an aligned
    // start there is ERR_OUT_OF_RANGE) is answered from user space
    const below = findFreeRegion(0x3ff123, 0, 4096, 0);
    expect(E.isErrorCode(below) === 1 ? errorName(below) : hexAddress(toAddress(below, pairHi))).toBe(errorName(findFreeRegion(0x3ff000, 0, 4096, 0)));
  });

  it('bug 7: mapIOMemory refuses a physical address its frame numbers or entries cannot hold, instead of mapping another frame', () => {
    // (found by the property test with protectRegion / mapIOMemory / unmapIOMemory added; IGNORED tag io-high)
    // mapIOMemory checks only physHi >>> 20 (below 2^52) and computes the first frame as
    // (physLo >>> 12) | (physHi << 20), which drops bits 43 and up: 2^44 + 0x5000 maps frame 5.
    // Two-level paging has no frame limit check at all (regionCheckTarget's archFrameLimit, bug 5
    // for FIXED targets): 4 GiB + 0x5000 is cut to 32 bits by the PTE and maps 0x5000 too.
    // Frame 5 is reserved low memory, so the RAM check (itself on the cut frame) lets it through.
    setUpMode(mode);
    const physical = mode === 'two-level' ? 0x100005000n : (1n << 44n) + 0x5000n;
    const [lo, hi] = toPair(physical);
    const result = mapIOMemory(lo, hi, 4096, 0, REGION_UC);
    const resultHi = pairHi;
    const mapped = E.isErrorCode(result) === 1 ? errorName(result) : `mapped at ${hexAddress(toAddress(result, resultHi))} -> physical ${hexAddress(BigInt(mapLinearToPhysical(result, resultHi) >>> 0) + (BigInt(pairHi >>> 0) << 32n))}`;
    expect(mapped).toBe('ERR_OUT_OF_RANGE');
    expect(ioMappingCount(), 'nothing mapped').toBe(0);
  });

  it('bug 8: resizeRegion refuses a region that meets a set-up window (ERR_PERMISSION), as freeRegion and protectRegion do', () => {
    // (found by the property test; IGNORED tag resize-window) design.md: "freeRegion,
    // resizeRegion and protectRegion refuse any range that meets one (ERR_PERMISSION)". The
    // shrinking path does (through freeRegion on the tail); the growing path checks only that
    // the region's pages are taken - a window's are - and grows it: here the whole I/O window
    // by a page, which maps a fresh page right after the window and reports success (ERR_OVERLAP
    // instead of ERR_PERMISSION when the tail lies inside the window).
    const s = setUpMode(mode);
    const i386 = mode === 'two-level' || mode === 'pae';
    const window = i386 ? 0xcf000000n : toAddress(s.kernelRegionsLo, s.kernelRegionsHi) - 4096n * 4096n; // the I/O window (paging-setup.ts)
    const [lo, hi] = toPair(window);
    const free = frameFreeCount();
    const result = resizeRegion(lo, hi, 0, 0, 4096 * 4096, 0, 4097 * 4096, 0, REGION_COMMIT | REGION_READWRITE);
    expect(E.isErrorCode(result) === 1 ? errorName(result) : `success (${hexAddress(toAddress(result, pairHi))})`).toBe('ERR_PERMISSION');
    expect(frameFreeCount(), 'no frame taken').toBe(free);
    const [endLo, endHi] = toPair(window + 4096n * 4096n);
    expect(isRegionFree(endLo, endHi, 4096, 0), 'the page after the window is still free').toBe(1);
  });

  it('bug 3: findFreeRegion with an unaligned start returns a range at or above it', () => {
    // findFreeRegion searches from start & -4096, so an unaligned start in a free page gets that
    // page back: an address below `start`, against its contract ("at or above start").
    setUpMode(mode);
    const found = findFreeRegion(0x10000123, 0, 4096, 0);
    expect(hexAddress(toAddress(found, pairHi))).toBe('0x10001000');
  });
});
