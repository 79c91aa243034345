/*
 * The Multiboot2 boot information: validation and access.
 *
 * The loader leaves the information block in memory and passes its physical address in EBX; the
 * caller passes the LINEAR address at which the block is visible (identity on i386 with paging
 * off; on x86-64 the boot mapping covers low memory at identity too). mb2Parse() reads the block
 * through portRead32 (aligned 32-bit reads only), validates all of it, and remembers where the
 * interesting tags are. The accessors read the block again through the port: it must stay where
 * it is, unchanged, for as long as they are used (copy what you need before reusing its memory).
 *
 * Format (Multiboot2 specification, "Boot information format"): the block starts 8-aligned with
 * u32 total_size, u32 reserved, then tags, each starting 8-aligned: u32 type, u32 size (header
 * included, padding excluded), payload. Tags used here:
 *   1  command line    size, NUL-terminated string (at +8)
 *   3  module          u32 mod_start, u32 mod_end (at +8, +12), NUL-terminated string (at +16)
 *   4  basic meminfo   u32 mem_lower, u32 mem_upper, in KiB (at +8, +12)
 *   6  memory map      u32 entry_size, u32 entry_version (at +8, +12), entries from +16, each
 *                      u64 base_addr, u64 length, u32 type, u32 reserved (+ entry_size - 24 more)
 *   0  end             size 8, the last tag
 * Every other tag type is skipped (the specification tells the OS to ignore what it does not
 * know). GRUB does not zero the padding between tags: nothing here reads or checks it.
 *
 * Validation (any failure: ERR_BAD_BOOT_INFO, unless said otherwise):
 * - the block address must be 8-aligned (ERR_UNALIGNED), and the block must not wrap around 2^64
 *   (its last byte below 2^64);
 * - total_size in [16, MB2_MAX_TOTAL_SIZE] and a multiple of 8: it counts the fixed part and the
 *   end tag, which is 8 bytes at an 8-aligned offset, so a valid total_size is a multiple of 8;
 * - the reserved field is ignored, whatever its value ("must be ignored by OS image");
 * - every tag: size >= 8 and the tag (without padding) inside total_size;
 * - the end tag: type 0, size exactly 8, and it ends exactly at total_size (nothing may follow
 *   it, and total_size may not extend past it); a walk that reaches total_size without it fails;
 * - command line: at most one tag, and a NUL inside the tag (its length is the bytes before it);
 * - module: size >= 16 and mod_end >= mod_start (unsigned); the module's string is not read;
 * - basic meminfo: at most one tag, size >= 16;
 * - memory map: at most one tag, size >= 16, entry_size a multiple of 8 in [24,
 *   MB2_MAX_TOTAL_SIZE] (also for a map with no entry), and (size - 16) a multiple of entry_size
 *   (no truncated entry). entry_version is ignored (the specification promises that later
 *   versions stay compatible). A map with no entry is valid (count 0).
 * - all of the above valid but no memory map tag: ERR_NO_MEMORY_MAP.
 *
 * State: mb2Parse() first forgets any previous result. On success the new result is kept; on any
 * failure the parser is "not parsed" and every accessor returns ERR_NOT_INITIALISED, until a later
 * mb2Parse() succeeds.
 *
 * The memory map is reported exactly as the loader gave it: entries may be unsorted, overlap,
 * have length 0, or (base + length) may reach 2^64 (mb2MemoryRangeEndLo/Hi then report
 * ERR_OVERFLOW). Whoever builds the frame bitmap resolves overlaps (a non-usable type wins).
 * Types are the loader's: 1 usable, 2 reserved, 3 ACPI reclaimable, 4 ACPI NVS (preserve on
 * hibernation), 5 defective; any other value means reserved. A type that would read as a negative
 * int32 (>= 2^31) is reported as 2, so that it can never look like an error code.
 *
 * Results and errors: accessors that return counts, sizes, lengths, types or 0/1 flags return a
 * non-negative value or a negative error code. Accessors that return address or length halves
 * return 32-bit bit patterns, which may be negative as int32 (0x80000000 and above): a negative
 * value from them is not necessarily an error. Every accessor therefore also sets mb2Status to
 * ERR_NONE or to the error code it returned; check mb2Status (or check the index against the
 * count first) after calling a bit-pattern accessor.
 *
 * Optional tags: without a command line tag, mb2CommandLinePresent() is 0, the address 0:0 and
 * the length 0 (an empty command line has present 1, length 0 and the address of its NUL); a
 * block can never hold a command line at linear 0, since the tag follows the 8-byte fixed part.
 * Without basic meminfo, mb2BasicMeminfoPresent() is 0 and both values 0. All with ERR_NONE.
 *
 * If the block changes after mb2Parse(), accessors may return stale or meaningless values (or
 * ERR_BAD_BOOT_INFO from a module walk that meets a broken tag), but they never read outside
 * [info, info + total_size) and never loop forever.
 */
import { ERR_BAD_BOOT_INFO, ERR_NONE, ERR_NO_MEMORY_MAP, ERR_NOT_INITIALISED, ERR_OUT_OF_RANGE, ERR_OVERFLOW, ERR_UNALIGNED } from '../errors.ts';
import { add64, addCarries64, lessThanU32, pairHi } from '../int64/pair.ts';
import { portRead32 } from '../port/port.ts';

/** Tag types of the boot information. */
export const MB2_TAG_END: number = 0;
export const MB2_TAG_COMMAND_LINE: number = 1;
export const MB2_TAG_MODULE: number = 3;
export const MB2_TAG_BASIC_MEMINFO: number = 4;
export const MB2_TAG_MEMORY_MAP: number = 6;

/** Memory map entry types. */
export const MB2_MEMORY_USABLE: number = 1;
export const MB2_MEMORY_RESERVED: number = 2;
export const MB2_MEMORY_ACPI_RECLAIMABLE: number = 3;
export const MB2_MEMORY_NVS: number = 4;
export const MB2_MEMORY_BAD: number = 5;

/** Sanity cap on total_size: GRUB's blocks are a few KiB; anything near this is corrupt. */
export const MB2_MAX_TOTAL_SIZE: number = 1048576;
/** Smallest valid block: the fixed part (8 bytes) and the end tag (8 bytes). */
export const MB2_MIN_TOTAL_SIZE: number = 16;
/** Smallest memory map entry (u64 base, u64 length, u32 type, u32 reserved). */
export const MB2_MIN_ENTRY_SIZE: number = 24;

const MB2_TAG_HEADER: number = 8;
const MB2_ALIGN_MASK: number = -8; // ~7

/**
 * ERR_NONE or the error code the last accessor returned (the accessors returning bit patterns
 * cannot signal an error unambiguously through their result). mb2Parse() sets it too.
 */
export let mb2Status: number = ERR_NONE;

// The committed result of the last successful parse (mb2Parsed = 1), else all zero.
let mb2Parsed: number = 0;
let mb2InfoLo: number = 0;
let mb2InfoHi: number = 0;
let mb2Total: number = 0;
/** Offset of the memory map tag in the block (never 0 once parsed). */
let mb2MapOffset: number = 0;
let mb2MapEntrySize: number = 0;
let mb2MapCount: number = 0;
/** Offset of the first module tag, 0 when there is none. */
let mb2FirstModuleOffset: number = 0;
let mb2ModuleTotal: number = 0;
/** Offset of the command line tag, 0 when there is none. */
let mb2CommandLineOffset: number = 0;
let mb2CommandLineBytes: number = 0;
/** Offset of the basic meminfo tag, 0 when there is none. */
let mb2MeminfoOffset: number = 0;

// Scratch of mb2DivideU31 (the subset has no division operator).
let mb2Remainder: number = 0;

/** Reads the word at byte `offset` (a multiple of 4) of the block at linear (baseLo, baseHi). */
const mb2ReadAt = (baseLo: number, baseHi: number, offset: number): number => {
  const lo: number = add64(baseLo, baseHi, offset, 0);
  const hi: number = pairHi;
  return portRead32(lo, hi);
};

/** Reads the word at byte `offset` of the parsed block. */
const mb2Read = (offset: number): number => mb2ReadAt(mb2InfoLo, mb2InfoHi, offset);

/** Rounds a tag size up to the 8-byte tag alignment (size is at most MB2_MAX_TOTAL_SIZE here). */
const mb2Align8 = (size: number): number => ((size + 7) | 0) & MB2_ALIGN_MASK;

/**
 * a / b for 0 <= a < 2^31 and 0 < b < 2^31, by shift-and-subtract; leaves a % b in mb2Remainder.
 */
const mb2DivideU31 = (a: number, b: number): number => {
  let quotient: number = 0;
  let remainder: number = 0;
  for (let bit: number = 30; bit >= 0; bit--) {
    remainder = (remainder << 1) | ((a >> bit) & 1);
    if (remainder >= b) {
      remainder = (remainder - b) | 0;
      quotient = quotient | (1 << bit);
    }
  }
  mb2Remainder = remainder;
  return quotient;
};

/** Forgets any parse result: every accessor reports ERR_NOT_INITIALISED until a parse succeeds. */
const mb2Forget = (): number => {
  mb2Parsed = 0;
  mb2InfoLo = 0;
  mb2InfoHi = 0;
  mb2Total = 0;
  mb2MapOffset = 0;
  mb2MapEntrySize = 0;
  mb2MapCount = 0;
  mb2FirstModuleOffset = 0;
  mb2ModuleTotal = 0;
  mb2CommandLineOffset = 0;
  mb2CommandLineBytes = 0;
  mb2MeminfoOffset = 0;
  return 0;
};

/** Ends a failed parse: the state is already forgotten; records and returns the code. */
const mb2Fail = (code: number): number => {
  mb2Status = code;
  return code;
};

/**
 * Length of the NUL-terminated string at byte `offset` of the block at (baseLo, baseHi), searched
 * within `limit` bytes (offset is a multiple of 4): the bytes before the first NUL, or -1 if there
 * is no NUL in those `limit` bytes. Reads whole words, none past offset + limit rounded up to 4.
 */
const mb2StringLength = (baseLo: number, baseHi: number, offset: number, limit: number): number => {
  let index: number = 0;
  while (index < limit) {
    const word: number = mb2ReadAt(baseLo, baseHi, (offset + index) | 0);
    for (let byte: number = 0; byte < 4; byte++) {
      if (index >= limit) return -1;
      if (((word >> (byte << 3)) & 255) === 0) return index;
      index = (index + 1) | 0;
    }
  }
  return -1;
};

/**
 * Parses and validates the Multiboot2 information block at linear address (infoLo, infoHi).
 * Returns ERR_NONE, ERR_UNALIGNED (address not 8-aligned), ERR_BAD_BOOT_INFO (any malformation,
 * see the top of this file) or ERR_NO_MEMORY_MAP (valid, but no memory map tag). On failure the
 * parser is left "not parsed" (the previous result is forgotten too).
 */
export const mb2Parse = (infoLo: number, infoHi: number): number => {
  mb2Forget();
  if ((infoLo & 7) !== 0) return mb2Fail(ERR_UNALIGNED);

  const total: number = mb2ReadAt(infoLo, infoHi, 0);
  // A negative int32 is a size >= 2^31: above the cap as well.
  if (total < MB2_MIN_TOTAL_SIZE || total > MB2_MAX_TOTAL_SIZE || (total & 7) !== 0) return mb2Fail(ERR_BAD_BOOT_INFO);
  // The block's last byte must lie below 2^64 (a block may end exactly at 2^64).
  if (addCarries64(infoLo, infoHi, (total - 1) | 0, 0) === 1) return mb2Fail(ERR_BAD_BOOT_INFO);

  let mapOffset: number = 0;
  let mapEntrySize: number = 0;
  let mapCount: number = 0;
  let firstModule: number = 0;
  let modules: number = 0;
  let commandLine: number = 0;
  let commandLineBytes: number = 0;
  let meminfo: number = 0;
  let sawEnd: number = 0;

  let offset: number = MB2_TAG_HEADER;
  while (offset <= ((total - MB2_TAG_HEADER) | 0)) {
    const type: number = mb2ReadAt(infoLo, infoHi, offset);
    const size: number = mb2ReadAt(infoLo, infoHi, (offset + 4) | 0);
    // A negative size (>= 2^31 unsigned) is below 8 as int32: rejected here as well.
    if (size < MB2_TAG_HEADER || size > ((total - offset) | 0)) return mb2Fail(ERR_BAD_BOOT_INFO);

    if (type === MB2_TAG_END) {
      if (size !== MB2_TAG_HEADER || ((offset + MB2_TAG_HEADER) | 0) !== total) return mb2Fail(ERR_BAD_BOOT_INFO);
      sawEnd = 1;
      break;
    }
    if (type === MB2_TAG_COMMAND_LINE) {
      if (commandLine !== 0) return mb2Fail(ERR_BAD_BOOT_INFO);
      const length: number = mb2StringLength(infoLo, infoHi, (offset + 8) | 0, (size - 8) | 0);
      if (length < 0) return mb2Fail(ERR_BAD_BOOT_INFO);
      commandLine = offset;
      commandLineBytes = length;
    } else if (type === MB2_TAG_MODULE) {
      if (size < 16) return mb2Fail(ERR_BAD_BOOT_INFO);
      const start: number = mb2ReadAt(infoLo, infoHi, (offset + 8) | 0);
      const end: number = mb2ReadAt(infoLo, infoHi, (offset + 12) | 0);
      if (lessThanU32(end, start) === 1) return mb2Fail(ERR_BAD_BOOT_INFO);
      if (modules === 0) firstModule = offset;
      modules = (modules + 1) | 0;
    } else if (type === MB2_TAG_BASIC_MEMINFO) {
      if (meminfo !== 0 || size < 16) return mb2Fail(ERR_BAD_BOOT_INFO);
      meminfo = offset;
    } else if (type === MB2_TAG_MEMORY_MAP) {
      if (mapOffset !== 0 || size < 16) return mb2Fail(ERR_BAD_BOOT_INFO);
      const entrySize: number = mb2ReadAt(infoLo, infoHi, (offset + 8) | 0);
      // A negative entry size (>= 2^31 unsigned) fails the first test too.
      if (entrySize < MB2_MIN_ENTRY_SIZE || entrySize > MB2_MAX_TOTAL_SIZE || (entrySize & 7) !== 0) {
        return mb2Fail(ERR_BAD_BOOT_INFO);
      }
      const count: number = mb2DivideU31((size - 16) | 0, entrySize);
      if (mb2Remainder !== 0) return mb2Fail(ERR_BAD_BOOT_INFO);
      mapOffset = offset;
      mapEntrySize = entrySize;
      mapCount = count;
    }
    offset = (offset + mb2Align8(size)) | 0;
  }
  if (sawEnd === 0) return mb2Fail(ERR_BAD_BOOT_INFO);
  if (mapOffset === 0) return mb2Fail(ERR_NO_MEMORY_MAP);

  mb2Parsed = 1;
  mb2InfoLo = infoLo;
  mb2InfoHi = infoHi;
  mb2Total = total;
  mb2MapOffset = mapOffset;
  mb2MapEntrySize = mapEntrySize;
  mb2MapCount = mapCount;
  mb2FirstModuleOffset = firstModule;
  mb2ModuleTotal = modules;
  mb2CommandLineOffset = commandLine;
  mb2CommandLineBytes = commandLineBytes;
  mb2MeminfoOffset = meminfo;
  mb2Status = ERR_NONE;
  return ERR_NONE;
};

/** Records a successful accessor result and returns it. */
const mb2Ok = (value: number): number => {
  mb2Status = ERR_NONE;
  return value;
};

/** ERR_NONE if parsed and 0 <= index < count, else the error (also recorded in mb2Status). */
const mb2CheckIndex = (index: number, count: number): number => {
  if (mb2Parsed === 0) return mb2Fail(ERR_NOT_INITIALISED);
  if (index < 0 || index >= count) return mb2Fail(ERR_OUT_OF_RANGE);
  return ERR_NONE;
};

/** ERR_NONE if parsed, else ERR_NOT_INITIALISED (also recorded in mb2Status). */
const mb2CheckParsed = (): number => {
  if (mb2Parsed === 0) return mb2Fail(ERR_NOT_INITIALISED);
  return ERR_NONE;
};

/** Offset in the block of memory map entry `index` (checked by the caller). */
const mb2EntryOffset = (index: number): number => (mb2MapOffset + 16 + index * mb2MapEntrySize) | 0;

/** `value` - a fact recorded at parse time, which reading costs nothing - if a block is parsed, else the error. */
const mb2IfParsed = (value: number): number => {
  const check: number = mb2CheckParsed();
  if (check !== ERR_NONE) return check;
  return mb2Ok(value);
};

/** The word at `byteOffset` of memory map entry `index`, or the index error. */
const mb2EntryWord = (index: number, byteOffset: number): number => {
  const check: number = mb2CheckIndex(index, mb2MapCount);
  if (check !== ERR_NONE) return check;
  return mb2Ok(mb2Read((mb2EntryOffset(index) + byteOffset) | 0));
};

/** The end (base + length) of entry `index`: low half, pairHi the high half; or an error (mb2Status). */
const mb2EntryEnd = (index: number): number => {
  const check: number = mb2CheckIndex(index, mb2MapCount);
  if (check !== ERR_NONE) return check;
  const at: number = mb2EntryOffset(index);
  const baseLo: number = mb2Read(at);
  const baseHi: number = mb2Read((at + 4) | 0);
  const lengthLo: number = mb2Read((at + 8) | 0);
  const lengthHi: number = mb2Read((at + 12) | 0);
  if (addCarries64(baseLo, baseHi, lengthLo, lengthHi) === 1) return mb2Fail(ERR_OVERFLOW);
  return mb2Ok(add64(baseLo, baseHi, lengthLo, lengthHi));
};

// ---- the block itself ----

/** Low half of the linear address the parsed block was read at. */
export const mb2InfoAddressLo = (): number => mb2IfParsed(mb2InfoLo);

/** High half of the linear address the parsed block was read at. */
export const mb2InfoAddressHi = (): number => mb2IfParsed(mb2InfoHi);

/** total_size of the parsed block in bytes (16..MB2_MAX_TOTAL_SIZE, a multiple of 8). */
export const mb2TotalSize = (): number => mb2IfParsed(mb2Total);

// ---- memory map ----

/** Number of memory map entries (0 or more). */
export const mb2MemoryRangeCount = (): number => mb2IfParsed(mb2MapCount);

/** Low half of entry `index`'s base address (a bit pattern: check mb2Status). */
export const mb2MemoryRangeBaseLo = (index: number): number => mb2EntryWord(index, 0);

/** High half of entry `index`'s base address (a bit pattern: check mb2Status). */
export const mb2MemoryRangeBaseHi = (index: number): number => mb2EntryWord(index, 4);

/** Low half of entry `index`'s length in bytes (a bit pattern: check mb2Status). */
export const mb2MemoryRangeLengthLo = (index: number): number => mb2EntryWord(index, 8);

/** High half of entry `index`'s length in bytes (a bit pattern: check mb2Status). */
export const mb2MemoryRangeLengthHi = (index: number): number => mb2EntryWord(index, 12);

/** Entry `index`'s type (MB2_MEMORY_*, or another non-negative value meaning reserved). */
export const mb2MemoryRangeType = (index: number): number => {
  const type: number = mb2EntryWord(index, 16);
  if (mb2Status !== ERR_NONE) return type;
  return type < 0 ? MB2_MEMORY_RESERVED : type;
};

/**
 * Low half of the end (base + length, exclusive) of entry `index`. ERR_OVERFLOW (also in
 * mb2Status) when base + length >= 2^64, which no 64-bit end can express.
 */
export const mb2MemoryRangeEndLo = (index: number): number => mb2EntryEnd(index);

/** High half of the end of entry `index`; ERR_OVERFLOW as mb2MemoryRangeEndLo. */
export const mb2MemoryRangeEndHi = (index: number): number => {
  const endLo: number = mb2EntryEnd(index);
  return mb2Status !== ERR_NONE ? endLo : pairHi;
};

// ---- modules ----

/** Number of module tags (0 or more). */
export const mb2ModuleCount = (): number => mb2IfParsed(mb2ModuleTotal);

/**
 * Offset in the block of module tag `index` (checked by the caller), found by walking the tags
 * from the first module; ERR_BAD_BOOT_INFO if the walk meets a broken tag (the block changed).
 */
const mb2ModuleOffset = (index: number): number => {
  let offset: number = mb2FirstModuleOffset;
  let seen: number = 0;
  while (offset <= ((mb2Total - 16) | 0)) {
    const type: number = mb2Read(offset);
    const size: number = mb2Read((offset + 4) | 0);
    if (size < MB2_TAG_HEADER || size > ((mb2Total - offset) | 0)) return ERR_BAD_BOOT_INFO;
    if (type === MB2_TAG_MODULE && size >= 16) {
      if (seen === index) return offset;
      seen = (seen + 1) | 0;
    }
    offset = (offset + mb2Align8(size)) | 0;
  }
  return ERR_BAD_BOOT_INFO;
};

/** The word at `byteOffset` of module tag `index`, or the error. */
const mb2ModuleWord = (index: number, byteOffset: number): number => {
  const check: number = mb2CheckIndex(index, mb2ModuleTotal);
  if (check !== ERR_NONE) return check;
  const offset: number = mb2ModuleOffset(index);
  if (offset < 0) return mb2Fail(offset);
  return mb2Ok(mb2Read((offset + byteOffset) | 0));
};

/** Physical start address of module `index` (mod_start: 32 bits, a bit pattern: check mb2Status). */
export const mb2ModuleStart = (index: number): number => mb2ModuleWord(index, 8);

/** Physical end address (exclusive, mod_end) of module `index`: a bit pattern, check mb2Status. */
export const mb2ModuleEnd = (index: number): number => mb2ModuleWord(index, 12);

// ---- command line ----

/** 1 if the block has a command line tag, 0 if not. */
export const mb2CommandLinePresent = (): number => mb2IfParsed(mb2CommandLineOffset !== 0 ? 1 : 0);

/**
 * Low half of the linear address of the command line's first byte (NUL-terminated, in the block);
 * 0 (with the high half 0) when there is no command line tag. A bit pattern: check mb2Status.
 */
export const mb2CommandLineAddressLo = (): number => {
  const check: number = mb2CheckParsed();
  if (check !== ERR_NONE) return check;
  if (mb2CommandLineOffset === 0) return mb2Ok(0);
  return mb2Ok(add64(mb2InfoLo, mb2InfoHi, (mb2CommandLineOffset + 8) | 0, 0));
};

/** High half of the command line's linear address; 0 when there is none. */
export const mb2CommandLineAddressHi = (): number => {
  const check: number = mb2CheckParsed();
  if (check !== ERR_NONE) return check;
  if (mb2CommandLineOffset === 0) return mb2Ok(0);
  add64(mb2InfoLo, mb2InfoHi, (mb2CommandLineOffset + 8) | 0, 0);
  return mb2Ok(pairHi);
};

/** Length of the command line in bytes, without its NUL; 0 when empty or absent. */
export const mb2CommandLineLength = (): number => mb2IfParsed(mb2CommandLineBytes);

// ---- basic memory information ----

/** The word at `byteOffset` of the basic meminfo tag; 0 when the tag is absent; or the error. */
const mb2MeminfoWord = (byteOffset: number): number => {
  const check: number = mb2CheckParsed();
  if (check !== ERR_NONE) return check;
  if (mb2MeminfoOffset === 0) return mb2Ok(0);
  return mb2Ok(mb2Read((mb2MeminfoOffset + byteOffset) | 0));
};

/** 1 if the block has a basic meminfo tag, 0 if not. */
export const mb2BasicMeminfoPresent = (): number => mb2IfParsed(mb2MeminfoOffset !== 0 ? 1 : 0);

/** mem_lower in KiB (memory from 0, at most 640); 0 when the tag is absent. A bit pattern. */
export const mb2BasicMemoryLowerKib = (): number => mb2MeminfoWord(8);

/** mem_upper in KiB (memory from 1 MiB to the first hole); 0 when the tag is absent. A bit pattern. */
export const mb2BasicMemoryUpperKib = (): number => mb2MeminfoWord(12);
