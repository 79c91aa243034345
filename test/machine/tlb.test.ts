/*
 * The software TLB changes only on CR3 writes, invlpg and flushes, so a forgotten flush is a stale
 * translation here as on hardware; these tests pin down each way an entry comes and goes.
 */
import { describe, expect, it } from 'vitest';
import { ACCESS_READ, ACCESS_WRITE, CR0_PG, CR4_PGE, PTE_D, PTE_G, PTE_P, PTE_RW, PTE_US } from './bits.ts';
import { PageFaultError } from './faults.ts';
import { PAGING_FORMATS, fixture } from './test-support.ts';

describe.each(PAGING_FORMATS)('%s TLB', (format) => {
  const setUp = (options: { pge?: boolean } = {}) => {
    const f = fixture(format, options);
    f.tables.map(0x1000n, 0x10000);
    f.tables.map(0x2000n, 0x20000, { flags: PTE_P | PTE_RW | PTE_G });
    f.activate();
    f.machine.writePhys32(0x10000, 0xaaa);
    f.machine.writePhys32(0x11000, 0xbbb);
    f.machine.writePhys32(0x20000, 0xccc);
    return f;
  };

  it('keeps a remapped page on its old frame until invlpg', () => {
    const { machine, tables } = setUp();
    expect(machine.read32(0x1000, 0)).toBe(0xaaa);
    tables.map(0x1000n, 0x11000); // rewrite the PTE, forget invlpg
    expect(machine.read32(0x1000, 0)).toBe(0xaaa); // stale, as on hardware
    expect(machine.translate(0x1000, 0)).toMatchObject({ physical: 0x11000, source: 'walk' });
    expect(machine.translateViaTlb(0x1000, 0)).toMatchObject({ physical: 0x10000, source: 'tlb' });
    expect(machine.staleTlbEntries()).toMatchObject([{ linear: 0x1000n, cached: { frameBase: 0x10000 }, fresh: { physical: 0x11000 } }]);
    machine.invlpg(0x1000, 0);
    expect(machine.staleTlbEntries()).toEqual([]);
    expect(machine.read32(0x1000, 0)).toBe(0xbbb);
  });

  it('keeps an unmapped page reachable until invlpg; never caches a missing one', () => {
    const { machine, tables } = setUp();
    expect(machine.probe(0x3000, 0, ACCESS_READ, false)).toBe(0);
    tables.map(0x3000n, 0x10000); // filling an empty entry needs no flush
    expect(machine.probe(0x3000, 0, ACCESS_READ, false)).toBe(-1);
    const pte = tables.entryAddress(0x3000n, tables.levels.length - 1);
    tables.writeEntry(pte, 0, 0);
    expect(machine.probe(0x3000, 0, ACCESS_READ, false)).toBe(-1); // stale
    expect(machine.staleTlbEntries()).toMatchObject([{ linear: 0x3000n, fresh: { ok: false } }]);
    machine.invlpg(0x3000, 0);
    expect(machine.probe(0x3000, 0, ACCESS_READ, false)).toBe(0);
  });

  it('faults on stale rights, and the fault itself drops the entry (as hardware does)', () => {
    const { machine, tables } = setUp();
    tables.map(0x4000n, 0x10000, { flags: PTE_P });
    expect(machine.read32(0x4000, 0)).toBe(0xaaa);
    tables.map(0x4000n, 0x10000, { flags: PTE_P | PTE_RW }); // upgrade without invlpg
    expect(() => machine.write32(0x4000, 0, 1)).toThrow(PageFaultError);
    expect(machine.lastFault).toMatchObject({ errorCode: 3, detail: expect.stringContaining('TLB') });
    machine.write32(0x4000, 0, 1); // the fault invalidated the entry: a fresh walk allows it
    // Downgrade without invlpg: the writable entry lives on.
    tables.map(0x4000n, 0x10000, { flags: PTE_P });
    expect(machine.probe(0x4000, 0, ACCESS_WRITE, false)).toBe(-1);
    expect(machine.staleTlbEntries()).toMatchObject([{ cached: { writable: true }, fresh: { writable: false } }]);
    machine.invlpg(0x4000, 0);
    expect(machine.probe(0x4000, 0, ACCESS_WRITE, false)).toBe(3);
  });

  it('re-walks a write through an entry cached before D was set, and sets D', () => {
    const { machine, tables } = setUp();
    const pte = tables.entryAddress(0x1000n, tables.levels.length - 1);
    machine.read32(0x1000, 0);
    machine.resetCounters();
    machine.write32(0x1000, 0, 5);
    expect(machine.counters).toMatchObject({ tlbMisses: 1, tlbHits: 0 });
    expect(machine.readPhys32(pte) & PTE_D).toBe(PTE_D);
    machine.write32(0x1000, 0, 6);
    expect(machine.counters).toMatchObject({ tlbMisses: 1, tlbHits: 1 });
    expect(machine.staleTlbEntries()).toEqual([]); // A/D updates do not make entries stale
  });

  it('drops non-global entries on CR3 writes and flushTlb; global ones survive until a global flush', () => {
    const { machine, tables } = setUp({ pge: true });
    machine.read32(0x1000, 0);
    machine.read32(0x2000, 0);
    tables.map(0x1000n, 0x11000);
    tables.map(0x2000n, 0x11000, { flags: PTE_P | PTE_RW | PTE_G });
    expect(machine.tlb.size).toBe(2);
    machine.writeCr3(machine.readCr3Lo(), 0);
    expect(machine.read32(0x1000, 0)).toBe(0xbbb);
    expect(machine.read32(0x2000, 0)).toBe(0xccc); // global: survived the CR3 write
    machine.flushTlb();
    expect(machine.read32(0x2000, 0)).toBe(0xccc);
    machine.flushTlbGlobal();
    expect(machine.read32(0x2000, 0)).toBe(0xbbb);
    // Toggling CR4.PGE flushes global entries too.
    tables.map(0x2000n, 0x20000, { flags: PTE_P | PTE_RW | PTE_G });
    machine.writeCr4(machine.readCr4() & ~CR4_PGE);
    machine.writeCr4(machine.readCr4() | CR4_PGE);
    expect(machine.read32(0x2000, 0)).toBe(0xccc);
  });

  it('does not call entries of user pages stale under SMAP', () => {
    const { machine, tables, activate } = fixture(format, { smap: true });
    tables.map(0x1000n, 0x10000, { flags: PTE_P | PTE_RW | PTE_US });
    activate();
    expect(machine.probe(0x1000, 0, ACCESS_READ, true)).toBe(-1);
    expect(machine.probe(0x1000, 0, ACCESS_READ, false)).toBe(1); // SMAP: the fault drops the entry
    expect(machine.probe(0x1000, 0, ACCESS_READ, true)).toBe(-1);
    expect(machine.staleTlbEntries()).toEqual([]);
  });

  it('ignores G while CR4.PGE=0', () => {
    const { machine, tables } = setUp({ pge: false });
    machine.read32(0x2000, 0);
    tables.map(0x2000n, 0x11000, { flags: PTE_P | PTE_RW | PTE_G });
    machine.writeCr3(machine.readCr3Lo(), 0);
    expect(machine.read32(0x2000, 0)).toBe(0xbbb);
  });
});

describe('TLB entries of large pages', () => {
  it.each([
    ['two-level', 0x400000],
    ['pae', 0x200000],
    ['four-level', 0x200000],
    ['four-level', 0x40000000],
    ['five-level', 0x40000000],
  ] as const)('%s: invlpg anywhere in a %i-byte page drops every cached piece of it', (format, size) => {
    const { machine, tables, activate } = fixture(format, { ramBytes: 4 * size });
    tables.map(BigInt(size), size, { size });
    activate();
    machine.writePhys32(size + 0x1000, 1);
    machine.writePhys32(2 * size + 0x1000, 2);
    expect(machine.read32(size + 0x1000, 0)).toBe(1);
    expect(machine.read32(size + size - 4096, 0)).toBe(0);
    tables.map(BigInt(size), 2 * size, { size });
    expect(machine.staleTlbEntries()).toHaveLength(2);
    machine.invlpg(size + 0x8000, 0); // a third address of the same large page
    expect(machine.staleTlbEntries()).toHaveLength(0);
    expect(machine.read32(size + 0x1000, 0)).toBe(2);
  });

  it('invlpg of a small page does not drop neighbours that are separate 4 KiB pages', () => {
    const { machine, tables, activate } = fixture('four-level');
    tables.map(0x200000n, 0x10000);
    tables.map(0x201000n, 0x11000);
    activate();
    machine.read32(0x200000, 0);
    machine.read32(0x201000, 0);
    tables.map(0x201000n, 0x12000);
    machine.invlpg(0x200000, 0);
    expect(machine.staleTlbEntries()).toMatchObject([{ linear: 0x201000n }]);
  });

  it('turning paging off flushes everything (i386)', () => {
    const { machine, tables, activate } = fixture('two-level', { pge: true });
    tables.map(0x1000n, 0x10000, { flags: PTE_P | PTE_RW | PTE_G });
    activate();
    machine.read32(0x1000, 0);
    machine.writeCr0(machine.readCr0() & ~CR0_PG);
    expect(machine.tlb.size).toBe(0);
  });
});
