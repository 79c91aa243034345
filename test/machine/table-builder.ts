/*
 * Writes page tables straight into the machine's physical memory, for test set-ups that need a
 * hierarchy without going through the memory manager (the boot tables, fixtures for the MMU's own
 * tests). It writes entries exactly as the formats define them and nothing else: no TLB, no
 * counters. Tables are taken from a frame supply the caller gives, and zeroed.
 */
import { MachineUsageError, PTE_P, PTE_PS, PTE_RW, PTE_US, TWO_32, hex, type PagingMode } from './bits.ts';
import type { EmulatedMachine } from './machine.ts';

export type TableFormat = Exclude<PagingMode, 'off'>;

interface LevelShape {
  name: string;
  shift: number;
  entries: number;
}

const SHAPES: Record<TableFormat, LevelShape[]> = {
  'two-level': [
    { name: 'PDE', shift: 22, entries: 1024 },
    { name: 'PTE', shift: 12, entries: 1024 },
  ],
  pae: [
    { name: 'PDPTE', shift: 30, entries: 4 },
    { name: 'PDE', shift: 21, entries: 512 },
    { name: 'PTE', shift: 12, entries: 512 },
  ],
  'four-level': [
    { name: 'PML4E', shift: 39, entries: 512 },
    { name: 'PDPTE', shift: 30, entries: 512 },
    { name: 'PDE', shift: 21, entries: 512 },
    { name: 'PTE', shift: 12, entries: 512 },
  ],
  'five-level': [
    { name: 'PML5E', shift: 48, entries: 512 },
    { name: 'PML4E', shift: 39, entries: 512 },
    { name: 'PDPTE', shift: 30, entries: 512 },
    { name: 'PDE', shift: 21, entries: 512 },
    { name: 'PTE', shift: 12, entries: 512 },
  ],
};

export interface MapOptions {
  /** Page size in bytes: 4 KiB (default), 2 MiB (PAE, long mode), 4 MiB (two-level), 1 GiB (long mode). */
  size?: number;
  /** Low flag bits of the leaf (default P|RW). PS is added for large pages. */
  flags?: number;
  /** Bit 63 (XD) of the leaf. */
  nx?: boolean;
  /** Extra high-word bits of the leaf (e.g. a reserved bit for a test). */
  extraHi?: number;
  /** Low flag bits of tables created on the way (default P|RW|US; PAE PDPTEs only get P). */
  tableFlags?: number;
}

export class PageTableBuilder {
  readonly levels: LevelShape[];
  /** Physical address of the root: what CR3 gets. */
  readonly root: number;

  constructor(
    private readonly machine: EmulatedMachine,
    readonly format: TableFormat,
    private readonly takeFrame: () => number,
  ) {
    this.levels = SHAPES[format];
    this.root = this.newTable();
  }

  /** Maps one page, creating missing tables; returns the leaf entry's physical address. */
  map(linear: bigint, physical: number, options: MapOptions = {}): number {
    const size = options.size ?? 4096;
    const leafDepth = this.levels.findIndex((level) => 2 ** level.shift === size);
    if (leafDepth < 0 || (size > 4096 && this.levels[leafDepth]!.name === 'PDPTE' && this.format === 'pae')) {
      throw new MachineUsageError(`page size ${hex(size)} does not exist in ${this.format} paging`);
    }
    if (physical % size !== 0 || linear % BigInt(size) !== 0n) {
      throw new MachineUsageError(`map ${hex(linear)} -> ${hex(physical)}: not aligned to ${hex(size)}`);
    }
    const entry = this.entryAddress(linear, leafDepth, options.tableFlags ?? PTE_P | PTE_RW | PTE_US);
    let lo = (physical % TWO_32) | (options.flags ?? PTE_P | PTE_RW) | (size > 4096 ? PTE_PS : 0);
    let hi = Math.floor(physical / TWO_32) | (options.nx === true ? 1 << 31 : 0) | (options.extraHi ?? 0);
    if (this.format === 'two-level') {
      if (size === 4096 && hi !== 0) throw new MachineUsageError('two-level PTEs address 4 GiB only');
      lo |= size > 4096 ? (hi & 0xff) << 13 : 0; // PSE-36: bits 39:32 go to PDE bits 20:13
      hi = 0;
    }
    this.writeEntry(entry, lo, hi);
    return entry;
  }

  /**
   * Physical address of the entry at `depth` (0 = root level) for `linear`, creating missing tables
   * above it with `tableFlags`.
   */
  entryAddress(linear: bigint, depth: number, tableFlags = PTE_P | PTE_RW | PTE_US): number {
    let table = this.root;
    for (let d = 0; ; d++) {
      const level = this.levels[d]!;
      const index = Number((BigInt.asUintN(64, linear) >> BigInt(level.shift)) & BigInt(level.entries - 1));
      const address = table + index * this.entryBytes;
      if (d === depth) return address;
      const [lo, hi] = this.readEntry(address);
      if ((lo & PTE_P) === 0) {
        table = this.newTable();
        const flags = this.format === 'pae' && level.name === 'PDPTE' ? PTE_P : tableFlags;
        this.writeEntry(address, (table % TWO_32) | flags, Math.floor(table / TWO_32));
      } else {
        table = (this.entryBytes === 4 ? 0 : (hi & 0xfffff) * TWO_32) + ((lo & 0xfffff000) >>> 0);
      }
    }
  }

  readEntry(address: number): [number, number] {
    return this.entryBytes === 4 ? [this.machine.readPhys32(address), 0] : this.machine.readPhys64(address);
  }

  writeEntry(address: number, lo: number, hi: number): void {
    if (this.entryBytes === 4) this.machine.writePhys32(address, lo);
    else this.machine.writePhys64(address, lo, hi);
  }

  private get entryBytes(): number {
    return this.format === 'two-level' ? 4 : 8;
  }

  private newTable(): number {
    const frame = this.takeFrame();
    this.machine.zeroFrame(frame);
    return frame * 4096;
  }
}

/** A frame supply counting up from `first`, for builders. */
export const framesFrom = (first: number): (() => number) => {
  let next = first;
  return () => next++;
};
