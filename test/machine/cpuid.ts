/*
 * The emulated CPU's feature set and its CPUID answers. The defaults are the features the memory
 * manager may use (what QEMU's `-cpu max` offers); a test turns any of them off to check that the
 * manager asks before using it. The machine enforces them too: setting a control-register bit of
 * an absent feature is a #GP, and without pdpe1gb a PS bit in a long-mode PDPTE is reserved.
 */
import { MachineUsageError } from './bits.ts';

export interface CpuFeatures {
  /** 4 MiB pages in 32-bit paging (CR4.PSE); PSE-36 goes with it. CPUID 1 EDX bit 3 (17). */
  pse: boolean;
  /** PAE paging (CR4.PAE). CPUID 1 EDX bit 6. */
  pae: boolean;
  /** Global pages (CR4.PGE). CPUID 1 EDX bit 13. */
  pge: boolean;
  /** Execute-disable (EFER.NXE). CPUID 0x80000001 EDX bit 20. */
  nx: boolean;
  /** 1 GiB pages. CPUID 0x80000001 EDX bit 26. */
  pdpe1gb: boolean;
  /** Long mode (EFER.LME). CPUID 0x80000001 EDX bit 29. */
  longMode: boolean;
  /** 5-level paging (CR4.LA57). CPUID 7.0 ECX bit 16. */
  la57: boolean;
  /** CR4.SMEP. CPUID 7.0 EBX bit 7. Off by default. */
  smep: boolean;
  /** CR4.SMAP. CPUID 7.0 EBX bit 20. Off by default. */
  smap: boolean;
  /** Physical address width, 32..52. CPUID 0x80000008 EAX[7:0]. */
  maxPhysAddr: number;
}

export const DEFAULT_CPU_FEATURES: Readonly<CpuFeatures> = {
  pse: true,
  pae: true,
  pge: true,
  nx: true,
  pdpe1gb: true,
  longMode: true,
  la57: true,
  smep: false,
  smap: false,
  maxPhysAddr: 52,
};

export const resolveCpuFeatures = (overrides: Partial<CpuFeatures> = {}): CpuFeatures => {
  const features = { ...DEFAULT_CPU_FEATURES, ...overrides };
  if (!Number.isInteger(features.maxPhysAddr) || features.maxPhysAddr < 32 || features.maxPhysAddr > 52) {
    throw new MachineUsageError(`maxPhysAddr ${features.maxPhysAddr}: must be an integer in 32..52`);
  }
  return features;
};

const bit = (on: boolean, index: number): number => (on ? 1 << index : 0);

/** CPUID(leaf, subleaf): [EAX, EBX, ECX, EDX] as int32s. Unknown leaves read as zeros. */
export const cpuidRegisters = (features: CpuFeatures, leaf: number, subleaf: number): [number, number, number, number] => {
  switch (leaf >>> 0) {
    case 0:
      // Highest basic leaf, then "GenuineIntel" in EBX, EDX, ECX.
      return [7, 0x756e6547, 0x6c65746e, 0x49656e69];
    case 1: {
      const edx =
        bit(true, 0) | // FPU
        bit(features.pse, 3) |
        bit(true, 5) | // MSR (EFER is reached with RDMSR/WRMSR)
        bit(features.pae, 6) |
        bit(features.pge, 13) |
        bit(features.pse, 17); // PSE-36
      return [0x000806c1, 0, 0, edx];
    }
    case 7:
      if (subleaf !== 0) return [0, 0, 0, 0];
      return [0, bit(features.smep, 7) | bit(features.smap, 20), bit(features.la57, 16), 0];
    case 0x80000000:
      return [0x80000008 | 0, 0, 0, 0];
    case 0x80000001:
      return [0, 0, 0, bit(features.nx, 20) | bit(features.pdpe1gb, 26) | bit(features.longMode, 29)];
    case 0x80000008:
      return [features.maxPhysAddr | ((features.la57 ? 57 : 48) << 8), 0, 0, 0];
    default:
      return [0, 0, 0, 0];
  }
};
