/*
 * Differential builds of the real modules: the same entry modules are bundled exactly as for a
 * kernel (tools/bundle.mjs, port swapped for port.native.ts), compiled by porffor, and linked as
 * a hosted program with the flat machine of test/native/hosted/ in place of the boot glue. The
 * Node side imports the very same source files and runs against test/support/flat-machine.ts.
 *
 *   const native = await buildBundleHosted('bitmap', ['src/memory/frame-bitmap.ts']);
 *   const node = await loadBundleNode(['src/memory/frame-bitmap.ts']);
 *   expect(await native.run(steps)).toEqual(node.run(steps));
 */
import { writeFile, mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
// @ts-expect-error plain ESM tool without type declarations
import { bundle } from '../../tools/bundle.mjs';
import { FlatMachine, HOSTED_CONTROLS } from '../support/flat-machine.ts';
import {
  BuildError,
  CC,
  HOSTED_CFLAGS,
  PROJECT_ROOT,
  parseC,
  porfToC,
  renameMain,
  hostedDriver,
  type Step,
} from './porffor-build.ts';

const HOSTED_DIR = join(PROJECT_ROOT, 'test/native/hosted');

export interface DifferentialSide {
  run(steps: readonly Step[]): Promise<number[]> | number[];
}

/**
 * Bundles, compiles and links the entries with the hosted glue; returns a step runner. `arch`
 * ('i386' or 'x86-64') links that architecture's backend in place of the paging seam.
 */
export const buildBundleHosted = async (name: string, entries: string[], arch?: string): Promise<DifferentialSide & { exe: string }> => {
  const outDir = join(PROJECT_ROOT, 'build/differential', name);
  await mkdir(outDir, { recursive: true });
  const tsFile = join(outDir, 'mm.ts');
  await writeFile(tsFile, bundle(PROJECT_ROOT, entries.map((entry) => resolve(PROJECT_ROOT, entry)), arch));
  const c = await porfToC(tsFile, join(outDir, 'mm.c'));
  const parsed = parseC(c);
  const controls = Object.entries(HOSTED_CONTROLS).map(([control, arity], k) => ({
    name: control,
    index: parsed.functions.length + k,
    arity,
    tagged: new Array<boolean>(arity).fill(false),
    returnsStruct: false,
  }));
  const all = { functions: [...parsed.functions, ...controls], globals: parsed.globals };
  const hostedC = join(outDir, 'mm.host.c');
  await writeFile(hostedC, `#include "glue.h"\n${renameMain(c)}\n${hostedDriver(all)}`);
  const exe = join(outDir, 'mm.host');
  const args = [...HOSTED_CFLAGS, `-I${HOSTED_DIR}`, hostedC, join(HOSTED_DIR, 'glue.c'), '-o', exe];
  const r = await execa(CC, args, { reject: false, all: true });
  if (r.exitCode !== 0) throw new BuildError('cc', `${CC} ${args.join(' ')}`, r.all ?? '', r.exitCode);

  const index = new Map(all.functions.map((f) => [f.name, f]));
  const globals = new Map(all.globals.map((g, k) => [g, k]));
  const encode = (step: Step): string => {
    if ('get' in step) {
      const k = globals.get(step.get);
      if (k === undefined) throw new Error(`no global '${step.get}' in the ${name} bundle`);
      return `g ${k}`;
    }
    const f = index.get(step.call);
    if (!f) throw new Error(`no function '${step.call}' in the ${name} bundle`);
    if (f.arity !== step.args.length) throw new Error(`${step.call} takes ${f.arity} arguments, got ${step.args.length}`);
    return `c ${f.index} ${step.args.map((a) => a | 0).join(' ')}`;
  };
  return {
    exe,
    async run(steps) {
      const input = `${steps.map(encode).join('\n')}\n`;
      const result = await execa(exe, [], { input, reject: false, stripFinalNewline: true, maxBuffer: 1 << 30 });
      if (result.exitCode !== 0) throw new BuildError('run', exe, result.stderr, result.exitCode);
      const lines = result.stdout === '' ? [] : result.stdout.split('\n');
      if (lines.length !== steps.length) throw new BuildError('run', exe, `expected ${steps.length} results, got ${lines.length}`, 0);
      return lines.map((line) => Number.parseInt(line, 10));
    },
  };
};

/**
 * The Node side: every run() starts from fresh module state and a fresh flat machine, as a new
 * native process does - vitest's module registry is reset and the entries (with the host port)
 * imported again - then the steps call the entries' exports under the same names.
 */
export const loadBundleNode = (entries: string[], arch?: string): DifferentialSide & { lastMachine(): FlatMachine | null } => {
  let lastMachine: FlatMachine | null = null;
  return {
    lastMachine: () => lastMachine,
    async run(steps) {
      // vitest's registry reset (imported here, so scripts outside vitest can use the native side)
      const { vi } = await import('vitest');
      vi.resetModules();
      const port = await import('../../src/port/port.ts');
      const machine = new FlatMachine();
      port.installMachine(machine);
      lastMachine = machine;
      if (arch !== undefined) {
        // the same backend the native side links, installed in the fresh module registry
        const seam = await import('../../src/paging/backend.ts');
        seam.installBackend(await import(pathToFileURL(resolve(PROJECT_ROOT, `arch/${arch}/backend.ts`)).href));
      }
      // Module namespaces, not copies: an exported `let` (pairHi, mb2Status) is read live at each step.
      const namespaces: Record<string, unknown>[] = [];
      for (const entry of entries) namespaces.push(await import(pathToFileURL(resolve(PROJECT_ROOT, entry)).href));
      const lookup = (name: string): unknown => namespaces.find((namespace) => name in namespace)?.[name];
      return steps.map((step) => {
        if ('get' in step) return lookup(step.get) as number;
        if (step.call in HOSTED_CONTROLS) {
          return (machine as unknown as Record<string, (...a: number[]) => number>)[step.call](...step.args);
        }
        const f = lookup(step.call);
        if (typeof f !== 'function') throw new Error(`no exported function '${step.call}'`);
        return (f as (...a: number[]) => number)(...step.args);
      });
    },
  };
};
