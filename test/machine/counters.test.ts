import { describe, expect, it } from 'vitest';
import { ACCESS_READ } from './bits.ts';
import { fixture } from './test-support.ts';

describe('counters', () => {
  it('count port calls, TLB hits and misses, and the MMU entry reads and writes exactly', () => {
    const { machine, tables, activate } = fixture('four-level');
    tables.map(0x1000n, 0x10000);
    activate();
    machine.resetCounters();
    expect(Object.values(machine.counters).every((value) => value === 0)).toBe(true);

    machine.read32(0x1000, 0); // miss: 4 entries read, A set in all 4
    machine.read32(0x1004, 0); // hit
    expect(machine.counters).toMatchObject({ memReads: 2, tlbMisses: 1, tlbHits: 1, pteReads: 4, pteWrites: 4 });
    machine.write32(0x1008, 0, 1); // clean entry: re-walk, D set in the leaf
    machine.write32(0x100c, 0, 1); // hit
    expect(machine.counters).toMatchObject({ memWrites: 2, tlbMisses: 2, tlbHits: 2, pteReads: 8, pteWrites: 5 });
    expect(machine.probe(0x5000, 0, ACCESS_READ, false)).toBe(0); // walk stops at the PTE
    expect(machine.counters).toMatchObject({ probes: 1, tlbMisses: 3, pteReads: 12, pteWrites: 5, pageFaults: 1 });

    machine.invlpg(0x1000, 0);
    machine.invlpg(0x2000, 0);
    machine.writeCr3(machine.readCr3Lo(), 0);
    machine.flushTlb();
    machine.flushTlbGlobal();
    expect(machine.counters).toMatchObject({ invlpg: 2, cr3Writes: 1, fullFlushes: 1, globalFlushes: 1 });

    const snapshot = { ...machine.counters };
    machine.translate(0x1000, 0);
    machine.translateViaTlb(0x1000, 0);
    machine.listMappings();
    machine.staleTlbEntries();
    machine.readPhys32(0x10000);
    expect(machine.counters).toEqual(snapshot); // inspections count nothing

    machine.resetCounters();
    expect(Object.values(machine.counters).every((value) => value === 0)).toBe(true);
  });

  it('count the PDPTE loads of PAE CR3 writes and reloads as entry reads', () => {
    const { machine, tables, activate } = fixture('pae');
    tables.map(0x1000n, 0x10000);
    activate();
    machine.resetCounters();
    machine.writeCr3(machine.readCr3Lo(), 0);
    expect(machine.counters).toMatchObject({ cr3Writes: 1, pteReads: 4 });
    machine.flushTlb();
    expect(machine.counters).toMatchObject({ fullFlushes: 1, pteReads: 8 });
    machine.read32(0x1000, 0); // PDE and PTE: PDPTEs come from the registers
    expect(machine.counters).toMatchObject({ pteReads: 10, pteWrites: 2 });
  });
});
