/*
 * Reaching page tables through temporary slots instead of the direct map: the walker does the
 * same work through either, and the slots it uses leave no stale translation behind.
 */
import { describe, expect, it } from 'vitest';
import { setUpX86_64 } from '../support/paging-setup.ts';
import { walkDescend, walkMapRange, walkUnmapRange, walkTranslate } from '../../src/paging/walker.ts';
import { tableAccessTemporary, tableAccessDirect, tableAccessStrategy, TABLES_TEMPORARY } from '../../src/paging/table-access.ts';
import { temporaryMappingsConfigure, temporarySlotsHeld } from '../../src/memory/temporary-mappings.ts';
import { frameFreeCount } from '../../src/memory/frame-bitmap.ts';
import { PAGE_WRITE } from '../../src/paging/page-flags.ts';
import { ERR_NONE, ERR_NOT_MAPPED } from '../../src/errors.ts';

const WINDOW_LO = 0xffc00000 | 0; // 0xFFFFFFFF_FFC00000
const WINDOW_HI = -1;
const DIRECT_LO = 0x80000000 | 0;

describe.each([4, 5] as const)('tables through temporary slots, %i-level', (levels) => {
  it('maps, translates and unmaps as through the direct map', () => {
    const { machine, root } = setUpX86_64(levels);
    // the slots' page table, made while tables are still reached through the direct map
    const table = walkDescend(root, WINDOW_LO, WINDOW_HI, 1, PAGE_WRITE, 1);
    const entries = (DIRECT_LO + table * 4096) | 0; // 0x...FFC00000 is entry 0 of its page table
    expect(temporaryMappingsConfigure(levels, WINDOW_LO, WINDOW_HI, entries, -1, 8, 3, 0)).toBe(ERR_NONE);
    expect(tableAccessTemporary()).toBe(ERR_NONE);
    expect(tableAccessStrategy()).toBe(TABLES_TEMPORARY);
    const free = frameFreeCount();
    expect(walkMapRange(root, 0x40000000, 0x20, 700, -1, PAGE_WRITE, 0)).toBe(ERR_NONE);
    expect(temporarySlotsHeld()).toBe(0); // a walk gives its slots back
    const physical = walkTranslate(root, 0x40001000, 0x20);
    expect(machine.translate(0x40001000, 0x20, 0, false)).toMatchObject({ ok: true, physical: physical >>> 0 });
    expect(walkUnmapRange(root, 0x40000000, 0x20, 700, 1)).toBe(700);
    expect(walkTranslate(root, 0x40001000, 0x20)).toBe(ERR_NOT_MAPPED);
    expect(frameFreeCount()).toBe(free);
    expect(machine.staleTlbEntries()).toEqual([]);
    tableAccessDirect(DIRECT_LO, -1, 0x40000);
  });
});
