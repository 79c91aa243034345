import { describe, expect, it } from 'vitest';
import { ACCESS_EXECUTE, ACCESS_READ, CR0_PG, CR4_PAE, CR4_PSE, EFER_NXE, MachineUsageError, PTE_A, PTE_P, PTE_RW, PTE_US } from './bits.ts';
import { GeneralProtectionError } from './faults.ts';
import { createMachine } from './machine.ts';
import { fixture } from './test-support.ts';

describe('PAE paging', () => {
  it('translates 4 KiB and 2 MiB pages, above 4 GiB too, whatever CR4.PSE says', () => {
    const { machine, tables, activate } = fixture('pae', { pse: false, ramBytes: 8 * 2 ** 30 });
    tables.map(0xc0000000n, 0x1_2345_6000, {});
    tables.map(0x40200000n, 0x1_0060_0000, { size: 0x200000 });
    activate();
    expect(machine.readCr4() & CR4_PSE).toBe(0);
    expect(machine.translate(0xc0000ffc | 0, 0)).toMatchObject({ ok: true, physical: 0x1_2345_6ffc, pageShift: 12 });
    expect(machine.translate(0x403ffffc, 0)).toMatchObject({ ok: true, physical: 0x1_007f_fffc, pageShift: 21 });
    machine.write32(0x40300000, 0, 77);
    expect(machine.readPhys32(0x1_0070_0000)).toBe(77);
  });

  it('honours NX only with EFER.NXE; without it bit 63 is reserved', () => {
    const { machine, tables, activate } = fixture('pae');
    tables.map(0x1000n, 0x1000, { nx: true });
    activate();
    expect(machine.probe(0x1000, 0, ACCESS_READ, false)).toBe(-1);
    expect(machine.probe(0x1000, 0, ACCESS_EXECUTE, false)).toBe(0x11); // P|I/D
    machine.writeEfer(machine.readEfer() & ~EFER_NXE);
    machine.invlpg(0x1000, 0);
    expect(machine.probe(0x1000, 0, ACCESS_READ, false)).toBe(0x9); // P|RSVD
    expect(machine.probe(0x1000, 0, ACCESS_EXECUTE, false)).toBe(0x9); // no I/D without NXE or SMEP
  });

  it('faults with RSVD on bits 62:MAXPHYADDR and on bits 20:13 of a 2 MiB leaf', () => {
    const { machine, tables, activate } = fixture('pae', { cpu: { maxPhysAddr: 36 } });
    tables.map(0x1000n, 0x2000, { extraHi: 1 << 3 }); // physical bit 35: fine
    tables.map(0x2000n, 0x2000, { extraHi: 1 << 4 }); // bit 36: reserved with MAXPHYADDR 36
    tables.map(0x3000n, 0x2000, { extraHi: 1 << 30 }); // bit 62: reserved in PAE (ignored in long mode)
    tables.map(0x400000n, 0x400000, { size: 0x200000, flags: PTE_P | PTE_RW | (1 << 13) });
    activate();
    expect(machine.translate(0x1000, 0)).toMatchObject({ ok: true, physical: 0x8_0000_2000 });
    expect(machine.probe(0x2000, 0, ACCESS_READ, false)).toBe(0x9);
    expect(machine.probe(0x3000, 0, ACCESS_READ, false)).toBe(0x9);
    expect(machine.probe(0x400000, 0, ACCESS_READ, false)).toBe(0x9);
    expect(machine.lastFault).toMatchObject({ detail: expect.stringContaining('PDE at') });
  });

  it('loads the 4 PDPTEs into registers at CR3 writes only', () => {
    const { machine, tables, activate } = fixture('pae');
    tables.map(0x1000n, 0x10000);
    activate();
    const pdpte0 = tables.entryAddress(0x1000n, 0);
    const [savedLo, savedHi] = machine.readPhys64(pdpte0);
    // Clear PDPTE 0 in memory: the register still holds it, translations go on.
    machine.writePhys64(pdpte0, 0, 0);
    expect(machine.translate(0x1000, 0)).toMatchObject({ ok: true, physical: 0x10000 });
    expect(machine.pdpteRegisters[0]).toBe(savedLo);
    expect(machine.listMappings()).toHaveLength(1);
    machine.writeCr3(machine.readCr3Lo(), 0);
    expect(machine.translate(0x1000, 0)).toMatchObject({ ok: false, fault: { errorCode: 0, detail: expect.stringMatching(/^PDPTE/) } });
    expect(machine.listMappings()).toHaveLength(0);
    // Restore it in memory: again nothing changes until CR3 is written (or the TLB flushed by CR3 reload).
    machine.writePhys64(pdpte0, savedLo, savedHi);
    expect(machine.probe(0x1000, 0, ACCESS_READ, false)).toBe(0);
    machine.flushTlb(); // the glue's flush is a CR3 reload: it reloads the PDPTEs as well
    expect(machine.probe(0x1000, 0, ACCESS_READ, false)).toBe(-1);
  });

  it('raises #GP when a present PDPTE has R/W, U/S or high bits, and keeps the old CR3', () => {
    const { machine, tables, activate } = fixture('pae');
    tables.map(0x40001000n, 0x10000);
    activate();
    const goodRoot = machine.readCr3Lo();
    const pdpte1 = tables.entryAddress(0x40001000n, 0);
    const [lo, hi] = machine.readPhys64(pdpte1);
    for (const [badLo, badHi] of [
      [lo | PTE_RW, hi],
      [lo | PTE_US, hi],
      [lo | PTE_A, hi],
      [lo, hi | (1 << 31)], // NX is reserved in a PDPTE even with EFER.NXE
      [lo, hi | (1 << 20)], // bit 52: above MAXPHYADDR
    ] as const) {
      machine.writePhys64(pdpte1, badLo, badHi);
      expect(() => machine.writeCr3(goodRoot, 0)).toThrow(GeneralProtectionError);
      expect(machine.lastFault).toMatchObject({ type: 'general-protection', detail: expect.stringContaining('PDPTE 1') });
      expect(machine.readCr3Lo()).toBe(goodRoot);
      expect(machine.translate(0x40001000, 0)).toMatchObject({ ok: true, physical: 0x10000 });
    }
    machine.writePhys64(pdpte1, (lo & ~PTE_P) | PTE_RW | PTE_US, hi); // reserved bits are fine when P=0
    machine.writeCr3(goodRoot, 0);
    expect(machine.translate(0x40001000, 0)).toMatchObject({ ok: false });
  });

  it('loads PDPTEs when paging is turned on, and refuses bad ones then', () => {
    const machine = createMachine({ ramBytes: 1 << 24 });
    machine.writePhys64(0x2020, 0x3000 | PTE_P | PTE_RW, 0);
    machine.writeCr4(CR4_PAE);
    machine.writeCr3(0x2020, 0); // 32-byte aligned PDPT is enough in PAE mode
    expect(() => machine.writeCr0(machine.readCr0() | CR0_PG)).toThrow(GeneralProtectionError);
    expect(machine.pagingMode).toBe('off');
    machine.writePhys64(0x2020, 0x3000 | PTE_P, 0);
    machine.writePhys64(0x3000, 0x4000 | PTE_P | PTE_RW, 0);
    machine.writePhys64(0x4000, 0x5000 | PTE_P | PTE_RW, 0);
    machine.writeCr0(machine.readCr0() | CR0_PG);
    expect(machine.pagingMode).toBe('pae');
    expect(machine.translate(0x8, 0)).toMatchObject({ ok: true, physical: 0x5008 });
    expect(() => machine.writeCr3(0x2010, 0)).toThrow(MachineUsageError); // not 32-byte aligned
  });
});
