/* The refactor plan's page-directory calls (seed 000, steps 4-6) in all four paging modes. */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import { allocPageTable, allocPageDirectory, allocUserPageDirectory, userPageDirectorySpace, freeUserPageDirectory } from '../../src/region/page-directories.ts';
import { regionsUseUserSpace, allocRegion } from '../../src/region/regions.ts';
import { frameFreeCount, frameInjectFailure } from '../../src/memory/frame-bitmap.ts';
import { frameCounterGet } from '../../src/memory/frame-counters.ts';
import { PAGE_WRITE, PAGE_USER } from '../../src/paging/page-flags.ts';
import { REGION_COMMIT, REGION_READWRITE, REGION_USER } from '../../src/region/region-flags.ts';
import * as E from '../../src/errors.ts';

const modes: [string, () => RegionSetup][] = [
  ['i386 two-level', () => setUpRegionsI386('two-level')],
  ['i386 PAE', () => setUpRegionsI386('pae')],
  ['x86-64 4-level', () => setUpRegionsX86_64(4)],
  ['x86-64 5-level', () => setUpRegionsX86_64(5)],
];

describe.each(modes)('page directories, %s', (_name, setUp) => {
  it('allocPageTable makes a counted, zeroed table at the level asked, and refuses bad levels', () => {
    const s = setUp();
    const table = allocPageTable(s.userRoot, 0x10000000, 0, 1, PAGE_WRITE | PAGE_USER);
    expect(table).toBeGreaterThan(0);
    expect(frameCounterGet(table)).toBe(0);
    expect(allocPageTable(s.userRoot, 0x10000000, 0, 1, PAGE_WRITE | PAGE_USER)).toBe(table); // already there
    expect(allocPageTable(s.userRoot, 0x10000000, 0, 0, 0)).toBe(E.ERR_INVALID_ARGUMENT);
    expect(allocPageTable(s.userRoot, 0x10000000, 0, 9, 0)).toBe(E.ERR_INVALID_ARGUMENT);
    expect(allocPageTable(-1, 0x10000000, 0, 1, 0)).toBe(E.ERR_INVALID_ARGUMENT);
  });

  it('allocUserPageDirectory gives a working user space; freeing it returns every frame', () => {
    const s = setUp();
    const free = frameFreeCount();
    const root = allocUserPageDirectory();
    expect(root).toBeGreaterThan(0);
    regionsUseUserSpace(root, userPageDirectorySpace());
    expect(allocRegion(0x10000000, 0, 0, 0, 8192, 0, REGION_COMMIT | REGION_READWRITE | REGION_USER)).toBe(0x10000000);
    s.machine.writeCr3(root * 4096, 0);
    expect(s.machine.probe(0x10000000, 0, 1, true)).toBe(-1);
    s.machine.writeCr3(s.kernelRoot * 4096, 0);
    regionsUseUserSpace(s.userRoot, s.userSpace);
    expect(freeUserPageDirectory(root, userPageDirectorySpace())).toBe(E.ERR_NONE);
    expect(frameFreeCount()).toBe(free);
  });

  it('allocPageDirectory rolls back on any failed allocation', () => {
    setUp();
    const free = frameFreeCount();
    for (let k = 1; k < 6; k++) {
      frameInjectFailure(k);
      const root = allocPageDirectory();
      frameInjectFailure(0);
      if (root > 0) break;
      expect(root).toBe(E.ERR_OUT_OF_MEMORY);
      expect(frameFreeCount()).toBe(free);
    }
  });
});
