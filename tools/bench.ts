/*
 * `make bench`: the memory manager's workloads in Node and in the porffor-compiled native build,
 * side by side in one run (these machines are noisy: compare columns, not runs). Both sides use
 * the flat machine (test/support/flat-machine.ts, test/native/hosted/glue.c), so the figures
 * compare the compiled code, not the MMU. Each figure is the best of a few repetitions.
 *
 * Usage: node_modules/.bin/tsx tools/bench.ts
 */
import { buildBundleHosted } from '../test/native/bundle-build.ts';
import { FlatMachine, HOSTED_CONTROLS } from '../test/support/flat-machine.ts';
import { installMachine } from '../src/port/port.ts';
import { installBackend } from '../src/paging/backend.ts';
import type { Step } from '../test/native/porffor-build.ts';

const FOUR_GIB_FRAMES = 0x100000;
const REPEATS = 3;

interface Workload {
  name: string;
  /** Steps before the timed one (set-up), on a fresh machine. */
  setUp: Step[];
  timed: Step;
  /** What the timed step must return. */
  expect: (result: number) => boolean;
  /** How many units the timed step does (for the per-unit figure) and their name. */
  units: number;
  unit: string;
}

const bitmapOver = (frames: number): Step[] => [
  { call: 'frameBitmapInit', args: [frames, 0x10000000, 0, 0x100000 * 4] },
  { call: 'frameBitmapAddUsable', args: [0, frames] },
];

const workloads: Workload[] = [
  {
    name: 'allocate every frame of 4 GiB, one by one',
    setUp: bitmapOver(FOUR_GIB_FRAMES),
    timed: { call: 'benchAllocEveryFrame', args: [] },
    expect: (n) => n === FOUR_GIB_FRAMES,
    units: FOUR_GIB_FRAMES,
    unit: 'frame',
  },
  {
    name: '2 MiB-aligned run of 512 frames in a fragmented 4 GiB bitmap (one frame taken in every 1024)',
    setUp: [...bitmapOver(FOUR_GIB_FRAMES), { call: 'benchFragment', args: [0, FOUR_GIB_FRAMES - 4096, 1024, 0x1234567] }],
    timed: { call: 'benchContiguous', args: [512, 512, 200] },
    expect: (n) => n === 200,
    units: 200,
    unit: 'alloc+free',
  },
  {
    name: '1 GiB-aligned run of 262144 frames, low gigabytes fragmented (one frame in every 4096 below 3 GiB)',
    setUp: [...bitmapOver(FOUR_GIB_FRAMES), { call: 'benchFragment', args: [0, 3 * 262144, 4096, 0x7654321] }],
    timed: { call: 'benchContiguous', args: [262144, 262144, 5] },
    expect: (n) => n === 5,
    units: 5,
    unit: 'alloc+free',
  },
];

interface Suite {
  title: string;
  entries: string[];
  arch?: string;
  workloads: Workload[];
  /** Counters of the flat machine to report per timed operation: [name, hosted_counter index]. */
  counters?: [string, number][];
}

const FOLD: Step = { call: 'hosted_set_fold', args: [0, -32768] };
const REGION_FRAMES = 0x100000; // 4 GiB
const regionSetUp: Step[] = [FOLD, { call: 'benchRegionsInit', args: [REGION_FRAMES] }];
const CYCLES = 2000;

const populated = (count: number): Workload => ({
  name: `findFreeRegion + allocRegion + freeRegion, ${count} live regions`,
  setUp: [...regionSetUp, { call: 'benchRegionsPopulate', args: [count] }],
  timed: { call: 'benchRegionCycle', args: [CYCLES] },
  expect: (n) => n === CYCLES,
  units: CYCLES,
  unit: 'cycle',
});

const suites: Suite[] = [
  { title: 'page bitmap', entries: ['src/memory/frame-bitmap.ts', 'test/kernel/bench/frame-bench.ts'], workloads },
  {
    title: 'regions, x86-64 4-level',
    entries: ['test/kernel/bench/region-bench.ts'],
    arch: 'x86-64',
    workloads: [
      populated(100),
      populated(10000),
      populated(100000),
      {
        name: 'map and unmap 1 GiB with 4 KiB pages (per page: one map + one unmap)',
        setUp: regionSetUp,
        timed: { call: 'benchMapUnmapGigabyte', args: [] },
        expect: (n) => n === 1,
        units: 262144,
        unit: 'page',
      },
    ],
    counters: [
      ['invlpg', 3],
      ['CR3 writes', 2],
      ['full flushes', 4],
    ],
  },
];

const clock: Step = { call: 'hosted_clock_us', args: [] };

const nodeRunner = async (suite: Suite): Promise<(steps: Step[]) => Promise<number[]>> => {
  const modules: Record<string, unknown>[] = [];
  for (const entry of suite.entries) modules.push(await import(`../${entry}`));
  if (suite.arch) installBackend(await import(`../arch/${suite.arch}/backend.ts`));
  return async (steps) => {
    const machine = new FlatMachine();
    installMachine(machine);
    return steps.map((step) => {
      if ('get' in step) throw new Error('bench steps are calls');
      if (step.call in HOSTED_CONTROLS) return (machine as unknown as Record<string, (...a: number[]) => number>)[step.call]!(...step.args);
      const f = modules.find((m) => step.call in m)?.[step.call] as (...a: number[]) => number;
      return f(...step.args);
    });
  };
};

interface Figures {
  ms: number;
  counts: number[];
}

const measure = async (run: (steps: Step[]) => Promise<number[]>, workload: Workload, counters: [string, number][]): Promise<Figures> => {
  let best: Figures = { ms: Infinity, counts: [] };
  const reads = (): Step[] => counters.map(([, index]) => ({ call: 'hosted_counter', args: [index] }));
  for (let k = 0; k < REPEATS; k++) {
    const steps = [...workload.setUp, ...reads(), clock, workload.timed, clock, ...reads()];
    const results = await run(steps);
    const tail = results.slice(workload.setUp.length);
    const before = tail.slice(0, counters.length);
    const [start, result, end] = tail.slice(counters.length, counters.length + 3) as [number, number, number];
    const after = tail.slice(counters.length + 3);
    if (!workload.expect(result)) throw new Error(`${workload.name}: unexpected result ${result}`);
    const ms = ((end - start) >>> 0) / 1000;
    if (ms < best.ms) best = { ms, counts: after.map((value, i) => value - before[i]!) };
  }
  return best;
};

for (const suite of suites) {
  const native = await buildBundleHosted(`bench-${suite.title.replace(/[^a-z0-9]+/gi, '-')}`, suite.entries, suite.arch);
  const node = await nodeRunner(suite);
  const counters = suite.counters ?? [];
  console.log(`\n${suite.title}, best of ${REPEATS} (total ms; per unit in us)`);
  console.log(`| workload | Node | native | Node / native |${counters.map(([name]) => ` ${name} (per unit) |`).join('')}`);
  console.log(`| --- | --- | --- | --- |${counters.map(() => ' --- |').join('')}`);
  const perUnit: number[] = [];
  for (const workload of suite.workloads) {
    const nodeFigures = await measure(node, workload, counters);
    const nativeFigures = await measure(async (steps) => native.run(steps), workload, counters);
    const per = (ms: number): string => `${ms.toFixed(1)} ms (${((ms * 1000) / workload.units).toFixed(3)} us/${workload.unit})`;
    perUnit.push((nativeFigures.ms * 1000) / workload.units);
    const counts = nativeFigures.counts.map((count) => ` ${count} (${(count / workload.units).toPrecision(3)}) |`).join('');
    console.log(`| ${workload.name} | ${per(nodeFigures.ms)} | ${per(nativeFigures.ms)} | ${(nodeFigures.ms / nativeFigures.ms).toFixed(2)} |${counts}`);
  }
  if (suite.title.startsWith('regions')) {
    console.log(`native cost per cycle, 10^5 live regions / 10^2 live regions: ${(perUnit[2]! / perUnit[0]!).toFixed(2)} (logarithmic search: stays well below 3)`);
  }
}
