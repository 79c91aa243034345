/*
 * The kernels `make run` and the QEMU suite boot: which ISO, with how much memory, on which CPU.
 * The ISOs are built by the Makefile (build/iso/<name>.iso).
 */
export interface Boot {
  /** Shown in reports. */
  name: string;
  iso: string;
  memory: string;
  cpu?: string;
  /** What the boot must show beyond passing its checks. */
  expectLog?: RegExp;
}

export const boots: Boot[] = [
  { name: 'i386-128M', iso: 'build/iso/i386.iso', memory: '128M', expectLog: /2-level paging/ },
  { name: 'i386-4G', iso: 'build/iso/i386.iso', memory: '4G', expectLog: /2-level paging/ },
  { name: 'i386-pae-128M', iso: 'build/iso/i386-pae.iso', memory: '128M', expectLog: /PAE paging/ },
  { name: 'i386-pae-4G', iso: 'build/iso/i386-pae.iso', memory: '4G', expectLog: /PAE paging/ },
  { name: 'x86-64-128M', iso: 'build/iso/x86-64.iso', memory: '128M', expectLog: /4-level paging/ },
  { name: 'x86-64-4G', iso: 'build/iso/x86-64.iso', memory: '4G', expectLog: /4-level paging/ },
  { name: 'x86-64-6G', iso: 'build/iso/x86-64.iso', memory: '6G', expectLog: /4-level paging/ },
  { name: 'x86-64-max-128M', iso: 'build/iso/x86-64.iso', memory: '128M', cpu: 'max', expectLog: /4-level paging/ },
  { name: 'x86-64-max-6G', iso: 'build/iso/x86-64.iso', memory: '6G', cpu: 'max', expectLog: /4-level paging/ },
  { name: 'x86-64-la57-6G', iso: 'build/iso/x86-64-la57.iso', memory: '6G', cpu: 'max', expectLog: /5-level paging/ },
  { name: 'x86-64-la57-128M', iso: 'build/iso/x86-64-la57.iso', memory: '128M', cpu: 'max', expectLog: /5-level paging/ },
  // the same kernels with "recursive" on the command line: page tables reached through the self-map after init
  { name: 'x86-64-recursive-max-128M', iso: 'build/iso/x86-64-recursive.iso', memory: '128M', cpu: 'max', expectLog: /4-level paging[\s\S]*recursive self-map/ },
  { name: 'x86-64-recursive-max-6G', iso: 'build/iso/x86-64-recursive.iso', memory: '6G', cpu: 'max', expectLog: /4-level paging[\s\S]*recursive self-map/ },
  { name: 'x86-64-la57-recursive-6G', iso: 'build/iso/x86-64-la57-recursive.iso', memory: '6G', cpu: 'max', expectLog: /5-level paging[\s\S]*recursive self-map/ },
  { name: 'x86-64-la57-recursive-128M', iso: 'build/iso/x86-64-la57-recursive.iso', memory: '128M', cpu: 'max', expectLog: /5-level paging[\s\S]*recursive self-map/ },
  { name: 'i386-recursive-128M', iso: 'build/iso/i386-recursive.iso', memory: '128M', expectLog: /2-level paging[\s\S]*recursive self-map/ },
  { name: 'i386-recursive-4G', iso: 'build/iso/i386-recursive.iso', memory: '4G', expectLog: /2-level paging[\s\S]*recursive self-map/ },
];
