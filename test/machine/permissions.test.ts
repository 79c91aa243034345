/*
 * Access rights and page-fault error codes (SDM 4.6, 4.7), checked with exact codes in every
 * paging mode. Codes: P=1 (protection), W=2, U=4, RSVD=8, I/D=16.
 */
import { describe, expect, it } from 'vitest';
import { ACCESS_EXECUTE, ACCESS_READ, ACCESS_WRITE, PTE_HI_NX, PTE_P, PTE_RW, PTE_US, type AccessKind } from './bits.ts';
import { fixture } from './test-support.ts';
import type { TableFormat } from './table-builder.ts';

const R = ACCESS_READ;
const W = ACCESS_WRITE;
const X = ACCESS_EXECUTE;
const SUP = false;
const USER = true;

interface Row {
  what: string;
  leaf: { rw: boolean; us: boolean; nx: boolean };
  wp: boolean;
  user: boolean;
  kind: AccessKind;
  /** Expected code with NX-capable paging (EFER.NXE=1); two-level differs only for NX rows. */
  code: number;
}

const row = (what: string, rw: boolean, us: boolean, nx: boolean, wp: boolean, user: boolean, kind: AccessKind, code: number): Row => ({
  what,
  leaf: { rw, us, nx },
  wp,
  user,
  kind,
  code,
});

const ROWS: Row[] = [
  row('supervisor reads a read-only supervisor page', false, false, false, true, SUP, R, -1),
  row('supervisor writes a read-only page with WP=1', false, false, false, true, SUP, W, 0x3),
  row('supervisor writes a read-only page with WP=0', false, false, false, false, SUP, W, -1),
  row('supervisor writes a read-only user page with WP=1', false, true, false, true, SUP, W, 0x3),
  row('supervisor writes a read-only user page with WP=0', false, true, false, false, SUP, W, -1),
  row('supervisor writes a writable page', true, false, false, true, SUP, W, -1),
  row('supervisor reads a user page (no SMAP)', false, true, false, true, SUP, R, -1),
  row('supervisor executes an NX page', true, false, true, true, SUP, X, 0x11),
  row('supervisor executes a user page (no SMEP)', false, true, false, true, SUP, X, -1),
  row('supervisor reads an NX page', false, false, true, true, SUP, R, -1),
  row('user reads a supervisor page', true, false, false, true, USER, R, 0x5),
  row('user writes a writable supervisor page', true, false, false, true, USER, W, 0x7),
  row('user executes a supervisor page', true, false, false, true, USER, X, 0x15),
  row('user reads a read-only user page', false, true, false, true, USER, R, -1),
  row('user writes a read-only user page with WP=1', false, true, false, true, USER, W, 0x7),
  row('user writes a read-only user page with WP=0', false, true, false, false, USER, W, 0x7),
  row('user writes a writable user page', true, true, false, true, USER, W, -1),
  row('user executes an NX user page', true, true, true, true, USER, X, 0x15),
  row('user executes a user page', false, true, false, true, USER, X, -1),
  row('user reads an NX user page', false, true, true, true, USER, R, -1),
];

const PAGE = 0x40000000n;
const flagsOf = (leaf: Row['leaf']): number => PTE_P | (leaf.rw ? PTE_RW : 0) | (leaf.us ? PTE_US : 0);

describe.each(['two-level', 'pae', 'four-level', 'five-level'] as const)('%s: rights of a present page', (format: TableFormat) => {
  const rows = format === 'two-level' ? ROWS.filter((r) => !r.leaf.nx) : ROWS;
  // Without NX-capable paging (and no SMEP) a fetch does not report I/D.
  const expected = (r: Row): number => (format === 'two-level' && r.code !== -1 ? r.code & ~0x10 : r.code);

  it.each(rows)('$what', (r) => {
    const { machine, tables, activate } = fixture(format, { wp: r.wp });
    tables.map(PAGE, 0x200000, { flags: flagsOf(r.leaf), nx: r.leaf.nx });
    activate();
    machine.writePhys32(0x200010, 0x1234);
    expect(machine.probe(0x40000010, 0, r.kind, r.user)).toBe(expected(r));
    expect(machine.translate(0x40000010, 0, r.kind, r.user)).toMatchObject(
      expected(r) === -1 ? { ok: true, physical: 0x200010 } : { ok: false, fault: { errorCode: expected(r) } },
    );
    // A second time through the TLB (a denied access drops the entry; an allowed one fills it).
    expect(machine.probe(0x40000010, 0, r.kind, r.user)).toBe(expected(r));
    expect(machine.readPhys32(0x200010)).toBe(0x1234); // a write probe changes no memory
    if (expected(r) !== -1) expect([machine.faultAddrLo(), machine.faultAddrHi()]).toEqual([0x40000010, 0]);
  });
});

describe.each(['two-level', 'pae', 'four-level', 'five-level'] as const)('%s: fault codes', (format: TableFormat) => {
  const fetchBit = format === 'two-level' ? 0 : 0x10;

  it('reports not-present translations with P=0 and the access bits', () => {
    const { machine, activate } = fixture(format);
    activate();
    expect(machine.probe(0x40000000, 0, R, SUP)).toBe(0);
    expect(machine.probe(0x40000000, 0, W, SUP)).toBe(2);
    expect(machine.probe(0x40000000, 0, R, USER)).toBe(4);
    expect(machine.probe(0x40000000, 0, W, USER)).toBe(6);
    expect(machine.probe(0x40000000, 0, X, SUP)).toBe(fetchBit);
    expect(machine.probe(0x40000000, 0, X, USER)).toBe(4 | fetchBit);
  });

  it('reports a reserved bit with P|RSVD and the access bits', () => {
    const { machine, tables, activate } = fixture(format, { cpu: { maxPhysAddr: 48 } });
    const leaf = tables.map(PAGE, 0x200000, { flags: PTE_P | PTE_RW | PTE_US });
    // Two-level PTEs have no reserved bit: use a 4 MiB PDE's bit 21 there.
    if (format === 'two-level') {
      const pde = tables.entryAddress(0x80000000n, 0);
      machine.writePhys32(pde, 0x400000 | PTE_P | PTE_RW | PTE_US | 0x80 | (1 << 21));
    } else {
      machine.writePhys32(leaf + 4, 1 << 19); // bit 51, above MAXPHYADDR 48
    }
    activate();
    const address = format === 'two-level' ? 0x80000000 | 0 : 0x40000000;
    machine.resetCounters();
    expect(machine.probe(address, 0, R, SUP)).toBe(0x9);
    expect(machine.probe(address, 0, W, SUP)).toBe(0xb);
    expect(machine.probe(address, 0, R, USER)).toBe(0xd);
    expect(machine.probe(address, 0, W, USER)).toBe(0xf);
    expect(machine.probe(address, 0, X, SUP)).toBe(0x9 | fetchBit);
    expect(machine.probe(address, 0, X, USER)).toBe(0xd | fetchBit);
    expect(machine.counters.tlbHits).toBe(0); // faulting translations are never cached
  });

  it('ANDs R/W and U/S over the levels', () => {
    const readOnlyTables = fixture(format, { wp: true });
    readOnlyTables.tables.map(PAGE, 0x200000, { flags: PTE_P | PTE_RW | PTE_US, tableFlags: PTE_P | PTE_US });
    readOnlyTables.activate();
    const m = readOnlyTables.machine;
    // PAE PDPTEs have no R/W or U/S: there, the PDE (a table entry too) carries the restriction.
    expect(m.probe(0x40000000, 0, R, USER)).toBe(-1);
    expect(m.probe(0x40000000, 0, W, USER)).toBe(7);
    expect(m.probe(0x40000000, 0, W, SUP)).toBe(3);
    m.writeCr0(m.readCr0() & ~(1 << 16));
    expect(m.probe(0x40000000, 0, W, SUP)).toBe(-1);

    const supervisorTables = fixture(format);
    supervisorTables.tables.map(PAGE, 0x200000, { flags: PTE_P | PTE_RW | PTE_US, tableFlags: PTE_P | PTE_RW });
    supervisorTables.activate();
    expect(supervisorTables.machine.probe(0x40000000, 0, R, USER)).toBe(5);
    expect(supervisorTables.machine.probe(0x40000000, 0, R, SUP)).toBe(-1);
  });

  if (format !== 'two-level') {
    it('ORs NX over the levels', () => {
      const { machine, tables, activate } = fixture(format);
      tables.map(PAGE, 0x200000, { flags: PTE_P | PTE_RW });
      const pde = tables.entryAddress(PAGE, tables.levels.length - 2);
      machine.writePhys32(pde + 4, machine.readPhys32(pde + 4) | PTE_HI_NX);
      activate();
      expect(machine.probe(0x40000000, 0, X, SUP)).toBe(0x11);
      expect(machine.probe(0x40000000, 0, R, SUP)).toBe(-1);
      expect(machine.listMappings()).toMatchObject([{ nx: true }]);
    });
  }

  it('honours SMEP (with I/D reported even without NXE) and SMAP', () => {
    const { machine, tables, activate } = fixture(format, { smep: true, smap: true, nxe: false });
    tables.map(PAGE, 0x200000, { flags: PTE_P | PTE_RW | PTE_US });
    tables.map(PAGE + 0x1000n, 0x201000, { flags: PTE_P | PTE_RW });
    activate();
    expect(machine.probe(0x40000000, 0, X, SUP)).toBe(0x11);
    expect(machine.probe(0x40000000, 0, R, SUP)).toBe(0x1);
    expect(machine.probe(0x40000000, 0, W, SUP)).toBe(0x3);
    expect(machine.probe(0x40000000, 0, R, USER)).toBe(-1);
    expect(machine.probe(0x40001000, 0, X, SUP)).toBe(-1);
    expect(machine.probe(0x40001000, 0, X, USER)).toBe(0x15);
  });
});
