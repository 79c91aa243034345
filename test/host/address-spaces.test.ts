/*
 * Roots of address spaces on the x86-64 backend: the kernel template, roots that share it, and a
 * teardown that leaves nothing behind.
 */
import { describe, expect, it } from 'vitest';
import { setUpX86_64 } from '../support/paging-setup.ts';
import { addressSpaceKernelCreate, addressSpaceCreate, addressSpaceRelease } from '../../src/paging/address-spaces.ts';
import { walkMapRange, walkTranslate } from '../../src/paging/walker.ts';
import { frameFreeCount, frameInjectFailure } from '../../src/memory/frame-bitmap.ts';
import { PAGE_USER, PAGE_WRITE } from '../../src/paging/page-flags.ts';
import { ERR_NONE, ERR_OUT_OF_MEMORY } from '../../src/errors.ts';

describe.each([4, 5] as const)('address spaces, %i-level', (levels) => {
  it('the kernel root pins one table per kernel root entry; new roots share them', () => {
    const { machine } = setUpX86_64(levels);
    const free = frameFreeCount();
    const kernel = addressSpaceKernelCreate();
    expect(kernel).toBeGreaterThan(0);
    expect(free - frameFreeCount()).toBe(1 + 256);
    // the direct map the manager reaches tables through (as the boot tables had it): 1 GiB leaf
    expect(walkMapRange(kernel, 0x80000000 | 0, -1, 262144, 0, PAGE_WRITE, 1)).toBe(ERR_NONE);
    const afterDirectMap = frameFreeCount();
    // a kernel mapping made after a user root exists is visible in it: the tables are shared
    const user = addressSpaceCreate();
    expect(afterDirectMap - frameFreeCount()).toBe(1);
    const kernelVaHi = levels === 5 ? -0x1000000 : -0x8000;
    expect(walkMapRange(kernel, 0x00200000, kernelVaHi + 1, 1, 0x1234, PAGE_WRITE, 0)).toBe(ERR_NONE);
    expect(walkTranslate(user, 0x00200000, kernelVaHi + 1)).toBe(0x1234 * 4096);
    // user mappings stay private
    expect(walkMapRange(user, 0x00400000, 0, 2, -1, PAGE_WRITE | PAGE_USER, 0)).toBe(ERR_NONE);
    expect(walkTranslate(kernel, 0x00400000, 0)).toBeLessThan(0);
    machine.writeCr3(user * 4096, 0);
    expect(machine.probe(0x00400000, 0, 1, true)).toBe(-1);
    expect(machine.probe(0x00200000, kernelVaHi + 1, 0, true)).toBe(5); // kernel page from ring 3
    machine.writeCr3(kernel * 4096, 0);
    const beforeRelease = frameFreeCount();
    expect(addressSpaceRelease(user)).toBe(ERR_NONE);
    // the root, the user PDPT/PD/PT and the two data frames come back; shared tables stay
    expect(frameFreeCount()).toBe(beforeRelease + 1 + (levels === 5 ? 4 : 3) + 2);
  });

  it('a root that cannot get its frames fails without leaking any', () => {
    setUpX86_64(levels);
    addressSpaceKernelCreate();
    const free = frameFreeCount();
    frameInjectFailure(1);
    expect(addressSpaceCreate()).toBe(ERR_OUT_OF_MEMORY);
    frameInjectFailure(0);
    expect(frameFreeCount()).toBe(free);
  });
});
