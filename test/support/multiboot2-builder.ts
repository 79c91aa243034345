/*
 * Multiboot2 information blocks for host tests: a builder (well-formed and deliberately malformed
 * blocks), a reference decoder (the validation rules of src/boot/multiboot2.ts written again in
 * plain TypeScript over a DataView, as an oracle for property tests), and the usable-memory
 * figures of a memory map.
 *
 *   const bytes = buildInfo({ memoryMap: pc128M.entries, commandLine: 'la57', modules: [...] });
 *   writeInfo(machine, 0x10000, bytes);       // physical memory of an emulated machine
 *   installMachine(machine);
 *   mb2Parse(0x10000, 0);
 *
 * Layout (Multiboot2 specification, boot information format): u32 total_size, u32 reserved, then
 * tags at 8-aligned offsets: u32 type, u32 size (header included, padding excluded), payload.
 * Everything is little-endian.
 */
import type { EmulatedMachine } from '../machine/index.ts';
import type { ExpectedFigures, GrubBlock, MemoryMapEntry } from '../fixtures/memory-maps.ts';
import { ERR_BAD_BOOT_INFO, ERR_NONE, ERR_NO_MEMORY_MAP, ERR_UNALIGNED } from '../../src/errors.ts';

export const TAG_END = 0;
export const TAG_COMMAND_LINE = 1;
export const TAG_BOOT_LOADER_NAME = 2;
export const TAG_MODULE = 3;
export const TAG_BASIC_MEMINFO = 4;
export const TAG_BOOT_DEVICE = 5;
export const TAG_MEMORY_MAP = 6;

/** The parser's sanity cap on total_size (MB2_MAX_TOTAL_SIZE). */
export const MAX_TOTAL_SIZE = 1 << 20;

/** One tag before encoding. */
export interface RawTag {
  type: number;
  /** Everything after the 8-byte header. */
  payload: Uint8Array;
  /** The size field to write instead of the true 8 + payload.length (malformed blocks). */
  size?: number;
}

export interface EncodeOptions {
  /** The fixed part's reserved field (the specification says 0; the OS must ignore it). */
  reserved?: number;
  /** The total_size field to write instead of the true length (malformed blocks). */
  totalSize?: number;
  /** Fill byte of the padding after each tag (GRUB leaves garbage there). Default 0. */
  paddingByte?: number;
  /** Append the end tag (default true). */
  endTag?: boolean;
  /** Bytes appended after the last tag (and counted in total_size unless totalSize is given). */
  trailing?: Uint8Array;
}

const encoder = new TextEncoder();

const u32 = (value: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value >>> 0, true);
  return out;
};

const u64 = (value: bigint): Uint8Array => {
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
  return out;
};

const concat = (...parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** A string's bytes (UTF-8) followed by a NUL unless `terminate` is false. */
export const cString = (text: string, terminate = true): Uint8Array =>
  terminate ? concat(encoder.encode(text), new Uint8Array(1)) : encoder.encode(text);

// ---- tags ----

/** Tag 1: the command line, NUL-terminated (pass bytes for odd contents). */
export const commandLineTag = (text: string | Uint8Array): RawTag => ({
  type: TAG_COMMAND_LINE,
  payload: typeof text === 'string' ? cString(text) : text,
});

/** Tag 2: the boot loader's name. */
export const bootLoaderNameTag = (name: string): RawTag => ({ type: TAG_BOOT_LOADER_NAME, payload: cString(name) });

export interface ModuleSpec {
  /** Physical start (u32). */
  start: number;
  /** Physical end, exclusive (u32). */
  end: number;
  string?: string;
}

/** Tag 3: a module [start, end) and its string. */
export const moduleTag = (module: ModuleSpec): RawTag => ({
  type: TAG_MODULE,
  payload: concat(u32(module.start), u32(module.end), cString(module.string ?? '')),
});

/** Tag 4: mem_lower and mem_upper in KiB. */
export const basicMeminfoTag = (lowerKib: number, upperKib: number): RawTag => ({
  type: TAG_BASIC_MEMINFO,
  payload: concat(u32(lowerKib), u32(upperKib)),
});

export interface MemoryMapOptions {
  /** Bytes per entry (default 24; the specification guarantees a multiple of 8). */
  entrySize?: number;
  entryVersion?: number;
  /** Fill byte of each entry's bytes past the first 24 (entrySize > 24). */
  extraByte?: number;
  /** Each entry's reserved u32 (at +20). */
  entryReserved?: number;
}

/** One memory map entry: u64 base, u64 length, u32 type, u32 reserved, then entrySize - 24 bytes. */
const memoryMapEntry = (entry: MemoryMapEntry, options: MemoryMapOptions): Uint8Array => {
  const size = options.entrySize ?? 24;
  const out = new Uint8Array(Math.max(size, 24)).fill(options.extraByte ?? 0);
  out.set(concat(u64(entry.base), u64(entry.length), u32(entry.type), u32(options.entryReserved ?? 0)));
  return out.subarray(0, size);
};

/** Tag 6: the memory map. */
export const memoryMapTag = (entries: readonly MemoryMapEntry[], options: MemoryMapOptions = {}): RawTag => ({
  type: TAG_MEMORY_MAP,
  payload: concat(
    u32(options.entrySize ?? 24),
    u32(options.entryVersion ?? 0),
    ...entries.map((entry) => memoryMapEntry(entry, options)),
  ),
});

/** Any tag: an unknown type, or a known one with a hand-made payload. */
export const rawTag = (type: number, payload: Uint8Array = new Uint8Array(0), size?: number): RawTag =>
  size === undefined ? { type, payload } : { type, payload, size };

/** Tag 0, for blocks that place it by hand (encode with endTag: false). */
export const endTag = (size?: number): RawTag => rawTag(TAG_END, new Uint8Array(0), size);

// ---- blocks ----

/** Encodes the fixed part, the tags at 8-aligned offsets and the end tag. */
export const encodeInfo = (tags: readonly RawTag[], options: EncodeOptions = {}): Uint8Array => {
  const all = options.endTag === false ? [...tags] : [...tags, endTag()];
  const parts: Uint8Array[] = [new Uint8Array(8)];
  for (const tag of all) {
    const length = 8 + tag.payload.length;
    const padded = (length + 7) & ~7;
    const bytes = new Uint8Array(padded).fill(options.paddingByte ?? 0);
    bytes.set(concat(u32(tag.type), u32(tag.size ?? length), tag.payload));
    parts.push(bytes);
  }
  if (options.trailing) parts.push(options.trailing);
  const out = concat(...parts);
  const view = new DataView(out.buffer);
  view.setUint32(0, (options.totalSize ?? out.length) >>> 0, true);
  view.setUint32(4, (options.reserved ?? 0) >>> 0, true);
  return out;
};

export interface InfoSpec {
  /** The memory map's entries; null leaves tag 6 out. */
  memoryMap: readonly MemoryMapEntry[] | null;
  memoryMapOptions?: MemoryMapOptions;
  /** null or absent: no command line tag. */
  commandLine?: string | null;
  bootLoaderName?: string | null;
  modules?: readonly ModuleSpec[];
  basicMeminfo?: { lowerKib: number; upperKib: number } | null;
  /** More tags (unknown types, duplicates...), placed before the end tag. */
  extraTags?: readonly RawTag[];
}

/** The tags of a block in GRUB's order: command line, loader name, modules, memory map, meminfo. */
export const infoTags = (spec: InfoSpec): RawTag[] => {
  const tags: RawTag[] = [];
  if (spec.commandLine != null) tags.push(commandLineTag(spec.commandLine));
  if (spec.bootLoaderName != null) tags.push(bootLoaderNameTag(spec.bootLoaderName));
  for (const module of spec.modules ?? []) tags.push(moduleTag(module));
  if (spec.memoryMap !== null) tags.push(memoryMapTag(spec.memoryMap, spec.memoryMapOptions));
  if (spec.basicMeminfo != null) tags.push(basicMeminfoTag(spec.basicMeminfo.lowerKib, spec.basicMeminfo.upperKib));
  tags.push(...(spec.extraTags ?? []));
  return tags;
};

/** A well-formed block (unless the spec or options make it otherwise). */
export const buildInfo = (spec: InfoSpec, options: EncodeOptions = {}): Uint8Array => encodeInfo(infoTags(spec), options);

/** The bytes of a block GRUB wrote (fixtures keep them as words). */
export const grubBlockBytes = (block: GrubBlock): Uint8Array => {
  const out = new Uint8Array(block.words.length * 4);
  const view = new DataView(out.buffer);
  block.words.forEach((word, i) => view.setUint32(i * 4, word >>> 0, true));
  return out;
};

/** Writes a block into an emulated machine's physical memory (any alignment). */
export const writeInfo = (machine: EmulatedMachine, address: number, bytes: Uint8Array): void => {
  machine.writePhysBytes(address, bytes);
};

// ---- editing encoded blocks ----

/** A copy of `bytes` with the u32 at `offset` replaced. */
export const withWord = (bytes: Uint8Array, offset: number, value: number): Uint8Array => {
  const out = bytes.slice();
  new DataView(out.buffer).setUint32(offset, value >>> 0, true);
  return out;
};

export const readWord = (bytes: Uint8Array, offset: number): number =>
  new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, true);

/** Offsets of the tags of a block, walking from offset 8 (stops at the end tag or a broken size). */
export const tagOffsets = (bytes: Uint8Array): { offset: number; type: number; size: number }[] => {
  const out: { offset: number; type: number; size: number }[] = [];
  for (let offset = 8; offset + 8 <= bytes.length; ) {
    const type = readWord(bytes, offset);
    const size = readWord(bytes, offset + 4);
    out.push({ offset, type, size });
    if (type === TAG_END || size < 8 || size > bytes.length) break;
    offset += (size + 7) & ~7;
  }
  return out;
};

/** Offset of the first tag of `type` (throws if absent: a test set-up error). */
export const tagOffset = (bytes: Uint8Array, type: number): number => {
  const tag = tagOffsets(bytes).find((t) => t.type === type);
  if (!tag) throw new Error(`no tag of type ${type} in the block`);
  return tag.offset;
};

// ---- malformed blocks ----

export interface MalformedCase {
  name: string;
  bytes: Uint8Array;
  /** Added to the (8-aligned) address the test writes the block at. */
  addressDelta?: number;
  /** What mb2Parse must return. */
  expected: number;
}

const SMALL_MAP: readonly MemoryMapEntry[] = [
  { base: 0n, length: 0x9fc00n, type: 1 },
  { base: 0x100000n, length: 0x7ee0000n, type: 1 },
];

/**
 * Deliberately malformed blocks, one per validation rule of the parser (and a few near misses
 * that must be accepted), each with the error mb2Parse must return.
 */
export const malformedCases = (): MalformedCase[] => {
  const base: InfoSpec = {
    memoryMap: SMALL_MAP,
    commandLine: 'root=x',
    modules: [{ start: 0x200000, end: 0x201000, string: 'initrd' }],
    basicMeminfo: { lowerKib: 639, upperKib: 129920 },
  };
  const good = buildInfo(base);
  const total = good.length;
  const at = (type: number): number => tagOffset(good, type);
  const cases: MalformedCase[] = [];
  const add = (name: string, bytes: Uint8Array, expected: number, addressDelta?: number): void => {
    cases.push(addressDelta === undefined ? { name, bytes, expected } : { name, bytes, expected, addressDelta });
  };

  add('well-formed (control)', good, ERR_NONE);
  for (const delta of [1, 2, 4, 6]) add(`address misaligned by ${delta}`, good, ERR_UNALIGNED, delta);

  // total_size
  add('total_size 0', withWord(good, 0, 0), ERR_BAD_BOOT_INFO);
  add('total_size 8 (no room for the end tag)', withWord(good, 0, 8), ERR_BAD_BOOT_INFO);
  add('total_size 15', withWord(good, 0, 15), ERR_BAD_BOOT_INFO);
  add('total_size not a multiple of 8 (+4)', withWord(good, 0, total + 4), ERR_BAD_BOOT_INFO);
  add('total_size not a multiple of 8 (-1)', withWord(good, 0, total - 1), ERR_BAD_BOOT_INFO);
  add('total_size past the end tag (+8)', encodeInfo(infoTags(base), { trailing: new Uint8Array(8) }), ERR_BAD_BOOT_INFO);
  add('total_size cuts the end tag off (-8)', withWord(good, 0, total - 8), ERR_BAD_BOOT_INFO);
  add('total_size above the 1 MiB cap', withWord(good, 0, MAX_TOTAL_SIZE + 8), ERR_BAD_BOOT_INFO);
  add('total_size 2^31 (negative as int32)', withWord(good, 0, 0x80000000), ERR_BAD_BOOT_INFO);
  add('total_size 0xfffffff8', withWord(good, 0, 0xfffffff8), ERR_BAD_BOOT_INFO);
  add('reserved field non-zero (ignored)', encodeInfo(infoTags(base), { reserved: 0xdeadbeef }), ERR_NONE);
  add('minimal block: only the end tag (no memory map)', encodeInfo([]), ERR_NO_MEMORY_MAP);

  // tag sizes
  const mapAt = at(TAG_MEMORY_MAP);
  add('tag size 0', withWord(good, mapAt + 4, 0), ERR_BAD_BOOT_INFO);
  add('tag size 7', withWord(good, mapAt + 4, 7), ERR_BAD_BOOT_INFO);
  add('tag size past total_size', withWord(good, mapAt + 4, total - mapAt + 1), ERR_BAD_BOOT_INFO);
  add('tag size 2^31', withWord(good, mapAt + 4, 0x80000000), ERR_BAD_BOOT_INFO);
  add('tag size 0xffffffff', withWord(good, mapAt + 4, 0xffffffff), ERR_BAD_BOOT_INFO);
  add('unknown tag of size 8 (empty payload, accepted)', buildInfo({ ...base, extraTags: [rawTag(99)] }), ERR_NONE);
  add('unknown tag with garbage padding (accepted)', buildInfo({ ...base, extraTags: [rawTag(77, new Uint8Array([1, 2, 3]))] }, { paddingByte: 0xa5 }), ERR_NONE);
  add('unknown tag type 0xffffffff (accepted)', buildInfo({ ...base, extraTags: [rawTag(0xffffffff, new Uint8Array(4))] }), ERR_NONE);

  // the end tag
  add('no end tag (block ends after the last tag)', encodeInfo(infoTags(base), { endTag: false }), ERR_BAD_BOOT_INFO);
  add('end tag replaced by an unknown tag', withWord(good, total - 8, 42), ERR_BAD_BOOT_INFO);
  add('end tag of size 16', encodeInfo([...infoTags(base), endTag(16)], { endTag: false, trailing: new Uint8Array(8) }), ERR_BAD_BOOT_INFO);
  add('end tag of size 12', encodeInfo([...infoTags(base), rawTag(TAG_END, new Uint8Array(4))], { endTag: false }), ERR_BAD_BOOT_INFO);
  add('end tag not last (a tag follows it)', encodeInfo([...infoTags(base), endTag(), rawTag(50, new Uint8Array(8))], { endTag: true }), ERR_BAD_BOOT_INFO);
  add('end tag first, memory map after it', encodeInfo([endTag(), ...infoTags(base)]), ERR_BAD_BOOT_INFO);

  // memory map
  const map = (options: MemoryMapOptions, entries: readonly MemoryMapEntry[] = SMALL_MAP): Uint8Array =>
    buildInfo({ ...base, memoryMap: entries, memoryMapOptions: options });
  add('entry_size 0', withWord(good, mapAt + 8, 0), ERR_BAD_BOOT_INFO);
  add('entry_size 16', map({ entrySize: 16 }), ERR_BAD_BOOT_INFO);
  add('entry_size 20', map({ entrySize: 20 }), ERR_BAD_BOOT_INFO);
  add('entry_size 28 (not a multiple of 8)', map({ entrySize: 28 }), ERR_BAD_BOOT_INFO);
  add('entry_size 2^31', withWord(good, mapAt + 8, 0x80000000), ERR_BAD_BOOT_INFO);
  add('entry_size 32 (future entries, accepted)', map({ entrySize: 32, extraByte: 0xee }), ERR_NONE);
  add('entry_size 24 with 40-byte entries (size not a multiple)', withWord(map({ entrySize: 40 }), mapAt + 8, 24), ERR_BAD_BOOT_INFO);
  add('entry_size larger than the whole map', withWord(good, mapAt + 8, 4096), ERR_BAD_BOOT_INFO);
  add('entry_size 2^31 + 24 in a map with no entry', withWord(map({}, []), mapAt + 8, 0x80000018), ERR_BAD_BOOT_INFO);
  add('entry_size 1 MiB + 8 in a map with no entry', withWord(map({}, []), mapAt + 8, MAX_TOTAL_SIZE + 8), ERR_BAD_BOOT_INFO);
  add('entry_size 1 MiB in a map with no entry (accepted)', withWord(map({}, []), mapAt + 8, MAX_TOTAL_SIZE), ERR_NONE);
  add('entry_version 1 (ignored)', map({ entryVersion: 1 }), ERR_NONE);
  add('memory map with no entry (accepted)', map({}, []), ERR_NONE);
  add('memory map truncated by 8 bytes', withWord(good, mapAt + 4, 16 + 24 * SMALL_MAP.length - 8), ERR_BAD_BOOT_INFO);
  add('memory map truncated by 1 byte', withWord(good, mapAt + 4, 16 + 24 * SMALL_MAP.length - 1), ERR_BAD_BOOT_INFO);
  add('memory map of size 12 (no entry_version)', buildInfo({ ...base, memoryMap: null, extraTags: [rawTag(TAG_MEMORY_MAP, u32(24))] }), ERR_BAD_BOOT_INFO);
  add('memory map of size 8', buildInfo({ ...base, memoryMap: null, extraTags: [rawTag(TAG_MEMORY_MAP)] }), ERR_BAD_BOOT_INFO);
  add('two memory maps', buildInfo({ ...base, extraTags: [memoryMapTag(SMALL_MAP)] }), ERR_BAD_BOOT_INFO);
  add('no memory map', buildInfo({ ...base, memoryMap: null }), ERR_NO_MEMORY_MAP);
  add('no memory map and a broken tag (malformation wins)', withWord(buildInfo({ ...base, memoryMap: null }), 8 + 4, 3), ERR_BAD_BOOT_INFO);

  // modules
  const moduleAt = at(TAG_MODULE);
  add('module tag of size 12', buildInfo({ ...base, modules: [], extraTags: [rawTag(TAG_MODULE, u32(0x1000))] }), ERR_BAD_BOOT_INFO);
  add('module tag of size 15', withWord(good, moduleAt + 4, 15), ERR_BAD_BOOT_INFO);
  add(
    'module tag of size 12 whose padding makes a plausible mod_end',
    buildInfo({ ...base, modules: [], extraTags: [rawTag(TAG_MODULE, u32(0x1000))] }, { paddingByte: 0xff }),
    ERR_BAD_BOOT_INFO,
  );
  add('module tag of size 16 (no string, accepted)', buildInfo({ ...base, modules: [], extraTags: [rawTag(TAG_MODULE, concat(u32(0x1000), u32(0x2000)))] }), ERR_NONE);
  add('module end before start', buildInfo({ ...base, modules: [{ start: 0x2000, end: 0x1fff }] }), ERR_BAD_BOOT_INFO);
  add('module end before start (unsigned: 0x80000000 > 0x7fffffff)', buildInfo({ ...base, modules: [{ start: 0x80000000, end: 0x7fffffff }] }), ERR_BAD_BOOT_INFO);
  add('empty module (end == start, accepted)', buildInfo({ ...base, modules: [{ start: 0x3000, end: 0x3000 }] }), ERR_NONE);

  // command line
  const lineAt = at(TAG_COMMAND_LINE);
  add('command line without NUL', buildInfo({ ...base, commandLine: null, extraTags: [commandLineTag(cString('abc', false))] }), ERR_BAD_BOOT_INFO);
  add('command line tag of size 8 (no NUL)', buildInfo({ ...base, commandLine: null, extraTags: [commandLineTag(new Uint8Array(0))] }), ERR_BAD_BOOT_INFO);
  add('command line NUL just past its size', withWord(good, lineAt + 4, 8 + 'root=x'.length), ERR_BAD_BOOT_INFO);
  // The last tag, no end tag, its size past total_size and its NUL only past the block: the
  // parser must reject the size before it looks for the NUL outside the block.
  add(
    'command line running past total_size (no end tag, NUL only beyond the block)',
    withWord(encodeInfo([memoryMapTag(SMALL_MAP), commandLineTag(cString('abcdefgh', false))], { endTag: false }), 8 + 16 + 48 + 4, 20),
    ERR_BAD_BOOT_INFO,
  );
  add('two command lines', buildInfo({ ...base, extraTags: [commandLineTag('again')] }), ERR_BAD_BOOT_INFO);

  // basic meminfo
  add('basic meminfo of size 12', buildInfo({ ...base, basicMeminfo: null, extraTags: [rawTag(TAG_BASIC_MEMINFO, u32(639))] }), ERR_BAD_BOOT_INFO);
  add('two basic meminfo tags', buildInfo({ ...base, extraTags: [basicMeminfoTag(1, 2)] }), ERR_BAD_BOOT_INFO);
  return cases;
};

// ---- the reference decoder ----

export interface DecodedEntry {
  base: bigint;
  length: bigint;
  /** The raw u32 type. */
  type: number;
}

export interface DecodedInfo {
  /** What mb2Parse must return for this block at an address with these low bits. */
  status: number;
  totalSize: number;
  entries: DecodedEntry[];
  modules: { start: number; end: number }[];
  /** Offset of the command line's first byte in the block, and its length; null if absent. */
  commandLine: { offset: number; length: number; text: string } | null;
  basicMeminfo: { lowerKib: number; upperKib: number } | null;
}

/**
 * The parser's rules again, independently: decodes `bytes` as the block mb2Parse would see at an
 * address whose low bits are `addressLow3` (only alignment matters). Bytes past the buffer read as
 * zero, as never-written emulated memory does.
 */
export const decodeInfo = (bytes: Uint8Array, addressLow3 = 0): DecodedInfo => {
  const result: DecodedInfo = { status: ERR_NONE, totalSize: 0, entries: [], modules: [], commandLine: null, basicMeminfo: null };
  const fail = (status: number): DecodedInfo => ({ ...result, status, entries: [], modules: [], commandLine: null, basicMeminfo: null });
  const word = (offset: number): number => (offset + 4 <= bytes.length ? readWord(bytes, offset) : 0);
  const byte = (offset: number): number => (offset < bytes.length ? bytes[offset]! : 0);
  if (addressLow3 % 8 !== 0) return fail(ERR_UNALIGNED);

  const total = word(0);
  if (total < 16 || total > MAX_TOTAL_SIZE || total % 8 !== 0) return fail(ERR_BAD_BOOT_INFO);
  result.totalSize = total;
  let map = false;
  for (let offset = 8; ; ) {
    if (offset + 8 > total) return fail(ERR_BAD_BOOT_INFO); // ran out of tags: no end tag
    const type = word(offset);
    const size = word(offset + 4);
    if (size < 8 || offset + size > total) return fail(ERR_BAD_BOOT_INFO);
    if (type === TAG_END) {
      if (size !== 8 || offset + 8 !== total) return fail(ERR_BAD_BOOT_INFO);
      break;
    }
    if (type === TAG_COMMAND_LINE) {
      if (result.commandLine) return fail(ERR_BAD_BOOT_INFO);
      let length = -1;
      for (let i = 0; i < size - 8; i++) {
        if (byte(offset + 8 + i) === 0) {
          length = i;
          break;
        }
      }
      if (length < 0) return fail(ERR_BAD_BOOT_INFO);
      const text = new TextDecoder().decode(bytes.subarray(offset + 8, offset + 8 + length));
      result.commandLine = { offset: offset + 8, length, text };
    } else if (type === TAG_MODULE) {
      if (size < 16) return fail(ERR_BAD_BOOT_INFO);
      const start = word(offset + 8);
      const end = word(offset + 12);
      if (end < start) return fail(ERR_BAD_BOOT_INFO);
      result.modules.push({ start, end });
    } else if (type === TAG_BASIC_MEMINFO) {
      if (result.basicMeminfo || size < 16) return fail(ERR_BAD_BOOT_INFO);
      result.basicMeminfo = { lowerKib: word(offset + 8), upperKib: word(offset + 12) };
    } else if (type === TAG_MEMORY_MAP) {
      if (map || size < 16) return fail(ERR_BAD_BOOT_INFO);
      const entrySize = word(offset + 8);
      if (entrySize < 24 || entrySize > MAX_TOTAL_SIZE || entrySize % 8 !== 0 || (size - 16) % entrySize !== 0) return fail(ERR_BAD_BOOT_INFO);
      map = true;
      for (let at = offset + 16; at < offset + size; at += entrySize) {
        const big = (o: number): bigint => (BigInt(word(o + 4)) << 32n) | BigInt(word(o));
        result.entries.push({ base: big(at), length: big(at + 8), type: word(at + 16) });
      }
    }
    offset += (size + 7) & ~7;
  }
  if (!map) return fail(ERR_NO_MEMORY_MAP);
  return result;
};

// ---- figures of a memory map ----

/**
 * The usable-memory figures of a map, by the frame bitmap's rule: a byte is usable when a type-1
 * entry covers it and no entry of another type does. See test/fixtures/memory-maps.ts.
 */
export const usableFigures = (entries: readonly { base: bigint; length: bigint; type: number }[]): ExpectedFigures => {
  const union = (list: [bigint, bigint][]): [bigint, bigint][] => {
    const sorted = list.filter(([a, b]) => b > a).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
    const out: [bigint, bigint][] = [];
    for (const [a, b] of sorted) {
      const last = out[out.length - 1];
      if (last && a <= last[1]) {
        if (b > last[1]) last[1] = b;
      } else out.push([a, b]);
    }
    return out;
  };
  const span = (e: { base: bigint; length: bigint }): [bigint, bigint] => [e.base, e.base + e.length];
  let pieces = union(entries.filter((e) => e.type === 1).map(span));
  for (const [from, to] of union(entries.filter((e) => e.type !== 1).map(span))) {
    pieces = pieces.flatMap(([a, b]): [bigint, bigint][] => {
      const kept: [bigint, bigint][] = [];
      if (a < from) kept.push([a, b < from ? b : from]);
      if (b > to) kept.push([a > to ? a : to, b]);
      return kept;
    });
  }
  let usableBytes = 0n;
  let usableFrames = 0n;
  let highestUsableEnd = 0n;
  for (const [a, b] of pieces) {
    usableBytes += b - a;
    const first = (a + 4095n) >> 12n;
    const end = b >> 12n;
    if (end > first) usableFrames += end - first;
    if (b > highestUsableEnd) highestUsableEnd = b;
  }
  return { usableBytes, highestUsableEnd, usableFrames: Number(usableFrames) };
};
