/*
 * The software TLB. It changes only when the code driving the machine says so - a CR3 write
 * (drops non-global entries), invlpg (drops the translations of one address), a full or global
 * flush - plus the two implicit invalidations hardware also does: a page fault drops the
 * translations of its address, and the machine re-walks instead of using an entry whose D bit was
 * clear for a write. So a forgotten flush shows up as a stale translation, as on hardware.
 *
 * Entries are kept per 4 KiB virtual page number (a hit is one Map lookup), but remember the size
 * of the page they came from: invlpg of any address inside a 2 MiB, 4 MiB or 1 GiB page drops
 * every 4 KiB piece cached from that large page, exactly as if it were one large entry. Capacity
 * is unlimited: nothing is ever evicted behind the test's back, which maximises what a missing
 * flush can reveal. Not-present and faulting translations are never cached.
 */

export interface TlbEntry {
  /** Physical address of the 4 KiB piece this entry translates to. */
  frameBase: number;
  /** log2 of the size of the page the translation came from (12, 21, 22 or 30). */
  pageShift: number;
  writable: boolean;
  user: boolean;
  nx: boolean;
  global: boolean;
  /** The leaf's D bit when cached: a write through a clean entry re-walks to set it. */
  dirty: boolean;
}

const LARGE_SHIFTS = [21, 22, 30] as const;

/** Key of the large page of size 2^shift containing 4 KiB page `vpn`: unique across sizes. */
const largeKey = (vpn: number, shift: number): number => Math.floor(vpn / 2 ** (shift - 12)) * 64 + shift;

export class Tlb {
  private readonly entries = new Map<number, TlbEntry>();
  /** For each cached large page: the 4 KiB page numbers cached from it. */
  private readonly largePieces = new Map<number, Set<number>>();

  lookup(vpn: number): TlbEntry | undefined {
    return this.entries.get(vpn);
  }

  fill(vpn: number, entry: TlbEntry): void {
    this.entries.set(vpn, entry);
    if (entry.pageShift > 12) {
      const key = largeKey(vpn, entry.pageShift);
      let pieces = this.largePieces.get(key);
      if (pieces === undefined) this.largePieces.set(key, (pieces = new Set()));
      pieces.add(vpn);
    }
  }

  /** invlpg: drops the translation of page `vpn`, and every piece of a large page containing it. */
  invalidatePage(vpn: number): void {
    this.entries.delete(vpn);
    if (this.largePieces.size === 0) return;
    for (const shift of LARGE_SHIFTS) {
      const key = largeKey(vpn, shift);
      const pieces = this.largePieces.get(key);
      if (pieces === undefined) continue;
      for (const piece of pieces) {
        // A piece re-filled since from a page of another size is not part of this large page.
        if (this.entries.get(piece)?.pageShift === shift) this.entries.delete(piece);
      }
      this.largePieces.delete(key);
    }
  }

  /** What a CR3 write does: every entry goes except global ones. */
  flushNonGlobal(): void {
    const kept = [...this.entries].filter(([, entry]) => entry.global);
    this.flushAll();
    for (const [vpn, entry] of kept) this.fill(vpn, entry);
  }

  flushAll(): void {
    this.entries.clear();
    this.largePieces.clear();
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every cached entry with its 4 KiB virtual page number, for inspections. */
  *cached(): IterableIterator<[number, TlbEntry]> {
    yield* this.entries;
  }
}
