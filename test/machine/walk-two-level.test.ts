import { describe, expect, it } from 'vitest';
import { ACCESS_READ, ACCESS_WRITE, CR0_PG, CR4_PSE, MachineUsageError, PTE_A, PTE_D, PTE_P, PTE_PS, PTE_RW } from './bits.ts';
import { createMachine } from './machine.ts';
import { fixture } from './test-support.ts';

describe('32-bit (two-level) paging', () => {
  it('translates through PDE and PTE to a 4 KiB page', () => {
    const { machine, tables, activate } = fixture('two-level');
    tables.map(0xc0123000n, 0x345000);
    activate();
    expect(machine.pagingMode).toBe('two-level');
    expect(machine.translate(0xc0123abc | 0, 0)).toMatchObject({ ok: true, physical: 0x345abc, pageShift: 12, source: 'walk' });
    machine.write32(0xc0123ab0 | 0, 0, 0x11223344);
    expect(machine.readPhys32(0x345ab0)).toBe(0x11223344);
    expect(machine.read32(0xc0123ab0 | 0, 0)).toBe(0x11223344);
  });

  it('maps 4 MiB pages when CR4.PSE=1, with PSE-36 physical bits 39:32', () => {
    const { machine, tables, activate } = fixture('two-level', { ramBytes: 2 ** 36 });
    tables.map(0x80000000n, 0x123400000, { size: 0x400000 });
    tables.map(0x00400000n, 0x00c00000, { size: 0x400000 });
    activate();
    expect(machine.translate(0x803ffffc | 0, 0)).toMatchObject({ ok: true, physical: 0x1237ffffc, pageShift: 22 });
    machine.write32(0x00400ff8, 0, 99);
    expect(machine.readPhys32(0xc00ff8)).toBe(99);
    expect(machine.listMappings().map((m) => [m.linear, m.physical, m.size])).toEqual([
      [0x400000n, 0xc00000, 0x400000],
      [0x80000000n, 0x123400000, 0x400000],
    ]);
  });

  it('ignores PS in a PDE when CR4.PSE=0: the PDE points to a page table', () => {
    const { machine, tables, activate } = fixture('two-level', { pse: false });
    tables.map(0x00400000n, 0x9000); // builds a page table behind PDE 1
    const pde = tables.entryAddress(0x00400000n, 0);
    machine.writePhys32(pde, machine.readPhys32(pde) | PTE_PS);
    activate();
    expect(machine.translate(0x00400010, 0)).toMatchObject({ ok: true, physical: 0x9010, pageShift: 12 });
    machine.writeCr4(machine.readCr4() | CR4_PSE); // with PSE the same PDE is a 4 MiB leaf
    expect(machine.translate(0x00400010, 0)).toMatchObject({ ok: true, pageShift: 22 });
  });

  it('faults with RSVD on bit 21 of a 4 MiB PDE, and below MAXPHYADDR-dependent PSE-36 bits', () => {
    const { machine, tables, activate } = fixture('two-level');
    const pde = tables.map(0x00800000n, 0x400000, { size: 0x400000 });
    machine.writePhys32(pde, machine.readPhys32(pde) | (1 << 21));
    activate();
    expect(machine.probe(0x00800000, 0, ACCESS_READ, false)).toBe(0x9);
    expect(machine.probe(0x00800000, 0, ACCESS_WRITE, true)).toBe(0xf);

    const narrow = fixture('two-level', { cpu: { maxPhysAddr: 36 } });
    narrow.tables.map(0x00800000n, 0x800000000, { size: 0x400000 }); // bit 35: allowed
    narrow.tables.map(0x00c00000n, 0x1000000000, { size: 0x400000 }); // bit 36: reserved
    narrow.activate();
    expect(narrow.machine.probe(0x00800000, 0, ACCESS_READ, false)).toBe(-1);
    expect(narrow.machine.probe(0x00c00000, 0, ACCESS_READ, false)).toBe(0x9);
  });

  it('reports not-present PDEs and PTEs with P=0', () => {
    const { machine, tables, activate } = fixture('two-level');
    tables.map(0x1000n, 0x5000);
    activate();
    expect(machine.probe(0x00400000, 0, ACCESS_READ, false)).toBe(0); // PDE 1 absent
    expect(machine.probe(0x2000, 0, ACCESS_WRITE, false)).toBe(2); // PTE 2 absent
    expect(machine.faultAddrLo()).toBe(0x2000);
    expect(machine.lastFault).toMatchObject({ type: 'page-fault', errorCode: 2, detail: expect.stringMatching(/^PTE at 0x/) });
  });

  it('sets A on every level walked and D on the leaf for writes, but not for inspections', () => {
    const { machine, tables, activate } = fixture('two-level');
    const pte = tables.map(0x5000n, 0x6000);
    const pde = tables.entryAddress(0x5000n, 0);
    activate();
    machine.translate(0x5000, 0, ACCESS_WRITE);
    expect(machine.readPhys32(pde) & PTE_A).toBe(0);
    machine.read32(0x5000, 0);
    expect(machine.readPhys32(pde) & (PTE_A | PTE_D)).toBe(PTE_A);
    expect(machine.readPhys32(pte) & (PTE_A | PTE_D)).toBe(PTE_A);
    machine.write32(0x5000, 0, 1);
    expect(machine.readPhys32(pte) & (PTE_A | PTE_D)).toBe(PTE_A | PTE_D);
    expect(machine.readPhys32(pde) & PTE_D).toBe(0); // D means nothing in a non-leaf entry
  });

  it('accesses physical memory directly while paging is off (the Multiboot2 state)', () => {
    const machine = createMachine({ ramBytes: 1 << 24 });
    expect(machine.pagingMode).toBe('off');
    expect(machine.readCr0() & CR0_PG).toBe(0);
    machine.write32(0x1000, 0, 5);
    expect(machine.readPhys32(0x1000)).toBe(5);
    expect(machine.probe(0xfff000, 0, ACCESS_WRITE, true)).toBe(-1);
    expect(machine.translate(0x1234, 0)).toMatchObject({ ok: true, physical: 0x1234, source: 'paging-off' });
    expect(() => machine.read32(0x1000, 1)).toThrow(MachineUsageError);
  });

  it('rejects a high half in 32-bit modes, misaligned and page-crossing accesses', () => {
    const { machine, tables, activate } = fixture('two-level');
    tables.map(0x1000n, 0x1000, { flags: PTE_P | PTE_RW });
    activate();
    expect(() => machine.read32(0x1000, 1)).toThrow(/32 bits/);
    expect(() => machine.read32(0x1002, 0)).toThrow(/4-byte aligned/);
    expect(() => machine.probe(0x1ffe, 0, ACCESS_READ, false)).toThrow(MachineUsageError);
    expect(() => machine.invlpg(0x1000, 1)).toThrow(MachineUsageError);
  });
});
