/*
 * Seed 001's permission propagation: intermediate entries grant the union of what their subtree
 * needs (x86 ANDs the levels), leaves exactly what was asked, so a narrower leaf beside a wider
 * one never becomes reachable with the wider right - checked through the emulated MMU.
 */
import { describe, expect, it } from 'vitest';
import { setUpRegionsI386, setUpRegionsX86_64, type RegionSetup } from '../support/paging-setup.ts';
import { allocRegion, freeRegion } from '../../src/region/regions.ts';
import { walkMapRange } from '../../src/paging/walker.ts';
import { REGION_COMMIT, REGION_READWRITE, REGION_USER, REGION_NO_EXECUTE } from '../../src/region/region-flags.ts';
import { PAGE_USER } from '../../src/paging/page-flags.ts';

const modes: [string, () => RegionSetup][] = [
  ['i386 two-level', () => setUpRegionsI386('two-level')],
  ['i386 PAE', () => setUpRegionsI386('pae')],
  ['x86-64 4-level', () => setUpRegionsX86_64(4)],
  ['x86-64 5-level', () => setUpRegionsX86_64(5)],
];
const BASE = 0x10000000;
const WRITE = 1;
const EXECUTE = 2;

describe.each(modes)('permission propagation, %s', (name, setUp) => {
  it('a read-only page beside a writable one in the same table stays read-only', () => {
    const s = setUp();
    s.machine.writeCr3(s.userRoot * 4096, 0);
    expect(allocRegion(BASE, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_USER)).toBe(BASE);
    expect(allocRegion(BASE + 4096, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_READWRITE | REGION_USER)).toBe(BASE + 4096);
    expect(s.machine.probe(BASE + 4096, 0, WRITE, true)).toBe(-1); // the table entry above grants write...
    expect(s.machine.probe(BASE, 0, WRITE, true)).toBe(7); // ...the read-only leaf still refuses it
    expect(freeRegion(BASE + 4096, 0, 4096, 0)).toBe(0);
    expect(s.machine.probe(BASE, 0, WRITE, true)).toBe(7);
    expect(s.machine.probe(BASE, 0, 0, true)).toBe(-1);
  });

  it('a no-execute page beside an executable one stays no-execute (where NX exists)', () => {
    const s = setUp();
    s.machine.writeCr3(s.userRoot * 4096, 0);
    allocRegion(BASE, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_USER | REGION_NO_EXECUTE);
    allocRegion(BASE + 4096, 0, 0, 0, 4096, 0, REGION_COMMIT | REGION_USER);
    expect(s.machine.probe(BASE + 4096, 0, EXECUTE, true)).toBe(-1);
    expect(s.machine.probe(BASE, 0, EXECUTE, true)).toBe(name === 'i386 two-level' ? -1 : 0x15);
  });

  it('a kernel page under a table that also holds user pages stays kernel-only', () => {
    const s = setUp();
    s.machine.writeCr3(s.userRoot * 4096, 0);
    // the walker itself (the region API refuses kernel pages in user space): one user, one kernel leaf
    expect(walkMapRange(s.userRoot, BASE, 0, 1, 0x2000, PAGE_USER, 0)).toBe(0);
    expect(walkMapRange(s.userRoot, BASE + 4096, 0, 1, 0x2001, 0, 0)).toBe(0);
    expect(s.machine.probe(BASE, 0, 0, true)).toBe(-1);
    expect(s.machine.probe(BASE + 4096, 0, 0, true)).toBe(5);
    expect(s.machine.probe(BASE + 4096, 0, 0, false)).toBe(-1);
  });
});
