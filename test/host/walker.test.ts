/*
 * The generic walker on the x86-64 backend, checked through the emulated MMU: ranges map to the
 * frames asked, with the rights asked; tables are created, counted and released; large pages are
 * used when aligned and split when a range cuts them; failures undo everything.
 */
import { describe, expect, it } from 'vitest';
import { setUpX86_64 } from '../support/paging-setup.ts';
import { walkMapRange, walkUnmapRange, walkTranslate, walkRangeIsUnmapped, walkTranslatedLevel } from '../../src/paging/walker.ts';
import { frameFreeCount, frameInjectFailure } from '../../src/memory/frame-bitmap.ts';
import { PAGE_WRITE, PAGE_NO_EXECUTE, PAGE_USER } from '../../src/paging/page-flags.ts';
import { pairHi } from '../../src/int64/pair.ts';
import { ERR_ALREADY_MAPPED, ERR_NONE, ERR_NOT_MAPPED, ERR_OUT_OF_MEMORY } from '../../src/errors.ts';

const VA_LO = 0x40000000; // 1 GiB + 0 in the lower half, above the boot identity map
const VA_HI = 0x10; // 64 GiB + 1 GiB: a fresh PML4/PDPT path

describe.each([4, 5] as const)('walker, %i-level', (levels) => {
  it('maps 4 KiB pages to chosen frames with the asked rights, and unmaps them', () => {
    const { machine, root } = setUpX86_64(levels);
    const free = frameFreeCount();
    expect(walkMapRange(root, VA_LO, VA_HI, 3, 0x5000, PAGE_WRITE | PAGE_NO_EXECUTE, 1)).toBe(ERR_NONE);
    const t = machine.translate((VA_LO + 0x1234) | 0, VA_HI, 1, false);
    expect(t).toMatchObject({ ok: true });
    expect(walkTranslate(root, (VA_LO + 0x1234) | 0, VA_HI)).toBe(0x5000 * 4096 + 0x1234);
    expect(pairHi).toBe(0);
    expect(machine.probe((VA_LO + 4096) | 0, VA_HI, 2, false)).toBe(0x11); // NX: fetch faults, present
    expect(machine.probe(VA_LO, VA_HI, 0, true)).toBe(0x5); // kernel page from user mode
    expect(frameFreeCount()).toBe(free - 2); // a PD and a PT (the boot tables hold the PDPT): frames were given
    expect(walkUnmapRange(root, VA_LO, VA_HI, 3, 0)).toBe(3);
    expect(walkTranslate(root, VA_LO, VA_HI)).toBe(ERR_NOT_MAPPED);
    expect(frameFreeCount()).toBe(free); // every table released
    expect(machine.staleTlbEntries()).toEqual([]);
  });

  it('allocates frames, prefers 2 MiB and 1 GiB leaves when aligned, and splits them on partial unmap', () => {
    const { machine, root } = setUpX86_64(levels, 3 * 1024 * 1024 * 1024);
    const free = frameFreeCount();
    const pages = 262144 + 512 + 3; // 1 GiB + 2 MiB + 12 KiB
    expect(walkMapRange(root, VA_LO, VA_HI, pages, -1, PAGE_WRITE | PAGE_USER, 1)).toBe(ERR_NONE);
    walkTranslate(root, VA_LO, VA_HI);
    expect(walkTranslatedLevel()).toBe(3);
    walkTranslate(root, 0x80000000 | 0, VA_HI); // after the 1 GiB leaf: a 2 MiB leaf
    expect(walkTranslatedLevel()).toBe(2);
    walkTranslate(root, 0x80200000 | 0, VA_HI); // then 4 KiB pages
    expect(walkTranslatedLevel()).toBe(1);
    // unmap one page in the middle of the 1 GiB leaf: it splits down to 4 KiB around it
    expect(walkUnmapRange(root, (VA_LO + 0x12345000) | 0, VA_HI, 1, 1)).toBe(1);
    expect(machine.translate((VA_LO + 0x12345000) | 0, VA_HI, 0, false)).toMatchObject({ ok: false });
    expect(machine.translate((VA_LO + 0x12346000) | 0, VA_HI, 0, false)).toMatchObject({ ok: true });
    expect(machine.staleTlbEntries()).toEqual([]);
    expect(walkUnmapRange(root, VA_LO, VA_HI, pages, 1)).toBe(pages - 1);
    expect(walkRangeIsUnmapped(root, VA_LO, VA_HI, pages)).toBe(1);
    expect(frameFreeCount()).toBe(free);
    expect(machine.listMappings().filter((m) => m.linear >= 0x1000000000n && m.linear < 0x2000000000n)).toEqual([]);
  });

  it('refuses to map over a mapping, and undoes a map that runs out of frames at any point', () => {
    const { machine, root } = setUpX86_64(levels);
    walkMapRange(root, VA_LO, VA_HI, 1, 0x7000, PAGE_WRITE, 0);
    const free = frameFreeCount();
    expect(walkMapRange(root, (VA_LO - 4096) | 0, VA_HI, 2, 0x8000, PAGE_WRITE, 0)).toBe(ERR_ALREADY_MAPPED);
    expect(frameFreeCount()).toBe(free);
    expect(walkTranslate(root, (VA_LO - 4096) | 0, VA_HI)).toBe(ERR_NOT_MAPPED);
    const mappingsBefore = machine.listMappings().length;
    for (let k = 1; k < 40; k++) {
      frameInjectFailure(k);
      const status = walkMapRange(root, 0, 0x20, 700, -1, PAGE_WRITE, 0);
      frameInjectFailure(0);
      if (status === ERR_NONE) {
        walkUnmapRange(root, 0, 0x20, 700, 1);
        continue;
      }
      expect(status).toBe(ERR_OUT_OF_MEMORY);
      expect(frameFreeCount()).toBe(free);
      expect(machine.listMappings().length).toBe(mappingsBefore);
    }
  });
});
