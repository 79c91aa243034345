/*
 * Build helper for differential tests: TypeScript (restricted subset) -> porffor C -> a hosted
 * test executable, plus a freestanding compile check of the same C.
 *
 *   const b = await buildHosted('build/x/mod.ts');             // porffor + gcc
 *   const out = await b.run([{ call: 'add64', args: [1, 0, -1, 0] }, { get: 'pairHi' }]);
 *   const m = await import(pathToFileURL(b.tsFile).href);      // same source under Node (vitest)
 *   expect(out).toEqual(runNode(m, steps));
 *
 * The hosted executable reads one step per line on stdin and prints one int32 (%d) per line:
 *   c <function index> <int32 args...>   call a function, print its result
 *   g <global index>                     print a module-level i32 global
 * Every exported function with only i32 parameters and an i32 (or ReturnValue) result can be called.
 * Porffor passes each parameter as (value, type tag); the driver passes TYPES.number (1) as the tag.
 */
import { execa } from 'execa';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The patched, pinned porffor (PORF_BIN in the environment overrides it, e.g. to try a patch). */
export const PORF_BIN = process.env.PORF_BIN ?? join(PROJECT_ROOT, 'node_modules/.bin/porf');
export const CC = process.env.CC ?? 'gcc';

/** porffor's TYPES.number (node_modules/porffor/compiler/types.js), the tag of a number argument. */
const TYPE_NUMBER = 1;

/** Flags for the hosted test build: no -fwrapv, and UBSan aborts on any undefined behaviour. */
export const HOSTED_CFLAGS = ['-O2', '-std=gnu11', '-fsanitize=undefined', '-fno-sanitize-recover=all'];
/** Freestanding compile-only check (the i386 kernel flags of the notes). */
export const FREESTANDING_M32_CFLAGS = ['-m32', '-ffreestanding', '-O2', '-c', '-mgeneral-regs-only', '-fno-pic'];

export type BuildStage = 'porffor' | 'cc' | 'run';

/** A failed porffor/gcc/executable run, with the command and its whole output. */
export class BuildError extends Error {
  constructor(
    readonly stage: BuildStage,
    readonly command: string,
    readonly output: string,
    readonly exitCode: number | undefined,
  ) {
    super(`${stage} failed (exit ${exitCode ?? '?'}): ${command}\n${output}`);
    this.name = 'BuildError';
  }
}

export interface CFunction {
  name: string;
  index: number;
  /** Number of JS-level (value) parameters. */
  arity: number;
  /** For each JS parameter: whether porffor added a `<name>jjtype` tag parameter after it. */
  tagged: boolean[];
  returnsStruct: boolean;
}

export interface ParsedC {
  functions: CFunction[];
  /** Module-level i32 globals (porffor keeps the JS names). */
  globals: string[];
}

export type Step = { call: string; args: number[] } | { get: string };

export interface HostedBuild {
  tsFile: string;
  /** porffor's output, untouched. */
  cFile: string;
  /** cFile with main renamed to __porf_init and the stdin driver appended. */
  hostedCFile: string;
  exe: string;
  parsed: ParsedC;
  /** Runs the steps in one process, in order; one int32 per step. */
  run(steps: readonly Step[]): Promise<number[]>;
}

const stripAnsi = (s: string): string => s.replace(/\x1b\[[0-9;]*m/g, '');

const isInt32 = (v: number): boolean => Object.is(v, v | 0);

/** Runs porffor on one .ts file: `porf c --module --valtype=i32 in.ts out.c`. Returns the C text. */
export async function porfToC(tsFile: string, cFile: string, extraArgs: readonly string[] = []): Promise<string> {
  await mkdir(dirname(cFile), { recursive: true });
  await rm(cFile, { force: true });
  const args = ['c', '--module', '--valtype=i32', ...extraArgs, tsFile, cFile];
  const r = await execa(PORF_BIN, args, { reject: false, all: true, cwd: PROJECT_ROOT, env: { NO_COLOR: '1' } });
  const command = `${PORF_BIN} ${args.join(' ')}`;
  const output = stripAnsi(r.all ?? '');
  // porffor sometimes reports an error and still exits 0: require the output file as well
  let c: string | undefined;
  try {
    c = await readFile(cFile, 'utf8');
  } catch {
    c = undefined;
  }
  if (r.exitCode !== 0 || c === undefined || /^\s*(Error|TypeError|ReferenceError|SyntaxError)\b/m.test(output)) {
    throw new BuildError('porffor', command, output, r.exitCode);
  }
  return c;
}

/** Finds the callable functions (prototypes before main) and the i32 globals of porffor C. */
export function parseC(c: string): ParsedC {
  const mainAt = c.search(/^int main\(\)/m);
  if (mainAt < 0) throw new Error('parseC: porffor C has no `int main()`');
  const head = c.slice(0, mainAt);
  const functions: CFunction[] = [];
  const protoRe = /^(i32|struct ReturnValue) ([A-Za-z_]\w*)\(([^)]*)\);$/gm;
  for (let m = protoRe.exec(head); m; m = protoRe.exec(head)) {
    const params = m[3].trim() === '' || m[3].trim() === 'void' ? [] : m[3].split(',').map((p) => p.trim());
    const parts = params.map((p) => /^(\w+) (\w+)$/.exec(p));
    if (parts.some((p) => p === null || p[1] !== 'i32')) continue; // not an all-i32 function
    const names = parts.map((p) => p![2]);
    const tagged: boolean[] = [];
    for (let k = 0; k < names.length; k++) {
      const hasTag = names[k + 1] === `${names[k]}jjtype`;
      tagged.push(hasTag);
      if (hasTag) k++;
    }
    functions.push({ name: m[2], index: functions.length, arity: tagged.length, tagged, returnsStruct: m[1] !== 'i32' });
  }
  const globals: string[] = [];
  const globalRe = /^i32 ([A-Za-z_]\w*)(?: = [^;]*)?;$/gm;
  for (let m = globalRe.exec(head); m; m = globalRe.exec(head)) {
    if (m[1] !== '_memoryPages') globals.push(m[1]);
  }
  return { functions, globals };
}

/** porffor C with its main renamed to `int __porf_init(void)` (runs the module's top level). */
export function renameMain(c: string, to = '__porf_init'): string {
  const out = c.replace(/^int main\(\) \{/m, `int ${to}(void) {`);
  if (out === c) throw new Error('renameMain: `int main() {` not found in porffor C');
  return out;
}

/** The generated stdin-driven main for a hosted build. */
export function hostedDriver(parsed: ParsedC): string {
  const maxArity = Math.max(1, ...parsed.functions.map((f) => f.arity));
  const calls = parsed.functions.map((f) => {
    const args = f.tagged.map((t, k) => (t ? `a[${k}], ${TYPE_NUMBER}` : `a[${k}]`)).join(', ');
    return `    case ${f.index}: if (n != ${f.arity}) goto arity; r = ${f.name}(${args})${f.returnsStruct ? '.value' : ''}; break;`;
  });
  const gets = parsed.globals.map((g, k) => `    case ${k}: r = ${g}; break;`);
  return `
/* ---- generated by test/native/porffor-build.ts: stdin test driver ---- */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  static char line[8192];
  i32 a[${maxArity}];
  __porf_init();
  while (fgets(line, sizeof line, stdin)) {
    char *p = line;
    char op = *p++;
    if (op == '\\n' || op == 0) continue;
    long long idx = strtoll(p, &p, 10);
    i32 r = 0;
    int n = 0;
    if (op == 'c') {
      for (;;) {
        while (*p == ' ') p++;
        if (*p == '\\n' || *p == 0) break;
        if (n >= ${maxArity}) goto arity;
        a[n++] = (i32)strtoll(p, &p, 10);
      }
      switch (idx) {
${calls.join('\n')}
    default: fprintf(stderr, "driver: no function %lld\\n", idx); return 2;
      }
    } else if (op == 'g') {
      switch (idx) {
${gets.join('\n')}
    default: fprintf(stderr, "driver: no global %lld\\n", idx); return 2;
      }
    } else {
      fprintf(stderr, "driver: bad step: %s", line);
      return 2;
    }
    printf("%d\\n", (int)r);
    continue;
  arity:
    fprintf(stderr, "driver: wrong argument count for function %lld: %s", idx, line);
    return 2;
  }
  return fflush(stdout) == 0 ? 0 : 3;
}
`;
}

export interface HostedOptions {
  /** Output directory (default: the directory of tsFile). */
  outDir?: string;
  /** Base name of the outputs (default: tsFile's base name without extension). */
  name?: string;
  /** C compiler flags (default HOSTED_CFLAGS). */
  cflags?: readonly string[];
  /** Extra porffor arguments, before the file names. */
  porfArgs?: readonly string[];
}

/** porffor + gcc: a hosted executable driven by `run(steps)`. */
export async function buildHosted(tsFile: string, opts: HostedOptions = {}): Promise<HostedBuild> {
  const abs = resolve(PROJECT_ROOT, tsFile);
  const outDir = resolve(PROJECT_ROOT, opts.outDir ?? dirname(abs));
  const name = opts.name ?? basename(abs).replace(/\.[cm]?[jt]s$/, '');
  const cFile = join(outDir, `${name}.c`);
  const hostedCFile = join(outDir, `${name}.host.c`);
  const exe = join(outDir, `${name}.host`);
  const c = await porfToC(abs, cFile, opts.porfArgs);
  const parsed = parseC(c);
  await writeFile(hostedCFile, renameMain(c) + '\n' + hostedDriver(parsed));
  await cc([...(opts.cflags ?? HOSTED_CFLAGS), hostedCFile, '-o', exe]);
  const fnIndex = new Map(parsed.functions.map((f) => [f.name, f]));
  const globalIndex = new Map(parsed.globals.map((g, k) => [g, k]));
  const encode = (s: Step): string => {
    if ('get' in s) {
      const k = globalIndex.get(s.get);
      if (k === undefined) throw new Error(`no i32 global '${s.get}' in ${cFile}`);
      return `g ${k}`;
    }
    const f = fnIndex.get(s.call);
    if (!f) throw new Error(`no callable function '${s.call}' in ${cFile}`);
    if (s.args.length !== f.arity) throw new Error(`${s.call} takes ${f.arity} arguments, got ${s.args.length}`);
    for (const v of s.args) if (!isInt32(v)) throw new Error(`${s.call}: argument ${v} is not an int32`);
    return `c ${f.index} ${s.args.join(' ')}`;
  };
  return {
    tsFile: abs,
    cFile,
    hostedCFile,
    exe,
    parsed,
    async run(steps) {
      const input = steps.map(encode).join('\n') + '\n';
      const r = await execa(exe, [], { input, reject: false, stripFinalNewline: true, maxBuffer: 1 << 28 });
      if (r.exitCode !== 0 || r.signal) {
        throw new BuildError('run', exe, `${r.stderr}\n(signal ${r.signal ?? 'none'})`, r.exitCode);
      }
      const lines = r.stdout === '' ? [] : r.stdout.split('\n');
      if (lines.length !== steps.length) {
        throw new BuildError('run', exe, `expected ${steps.length} results, got ${lines.length}\n${r.stderr}`, r.exitCode);
      }
      return lines.map((l) => Number.parseInt(l, 10));
    },
  };
}

/** Runs the same steps on the Node side, against the imported module (an ESM namespace). */
export function runNode(mod: Record<string, unknown>, steps: readonly Step[]): number[] {
  return steps.map((s) => {
    if ('get' in s) {
      if (!(s.get in mod)) throw new Error(`module has no export '${s.get}'`);
      return mod[s.get] as number;
    }
    const f = mod[s.call];
    if (typeof f !== 'function') throw new Error(`module has no exported function '${s.call}'`);
    return (f as (...a: number[]) => number)(...s.args);
  });
}

/**
 * Minimal freestanding form of porffor C for a compile check: no libc includes except stdint.h,
 * main renamed to __porf_init, the Wasm memory taken from an external `__porf_memory` arena.
 * (The kernel build has its own post-processor; this is only enough to prove the code compiles.)
 */
export function freestandingC(c: string): string {
  return renameMain(c)
    .replace(/^#include <(?!stdint\.h>)[^>]+>\s*$/gm, '')
    .replace(/calloc\(1, _memoryPages \* 65536\)/, '__porf_memory')
    .replace(/^char\* _memory;/m, 'extern char __porf_memory[];\nchar* _memory;');
}

export interface FreestandingResult {
  cFile: string;
  oFile: string;
  /** `nm -u` of the object: the symbols the kernel glue would have to provide. */
  undefinedSymbols: string[];
}

/** Compiles freestandingC(porffor C) to an object with the given flags (default -m32 kernel flags). */
export async function buildFreestanding(
  porfCFile: string,
  cflags: readonly string[] = FREESTANDING_M32_CFLAGS,
  suffix = 'fs32',
): Promise<FreestandingResult> {
  const base = porfCFile.replace(/\.c$/, '');
  const cFile = `${base}.${suffix}.c`;
  const oFile = `${base}.${suffix}.o`;
  await writeFile(cFile, freestandingC(await readFile(porfCFile, 'utf8')));
  await cc([...cflags, cFile, '-o', oFile]);
  const nm = await execa('nm', ['-u', oFile], { reject: false });
  if (nm.exitCode !== 0) throw new BuildError('cc', `nm -u ${oFile}`, nm.stderr, nm.exitCode);
  const undefinedSymbols = nm.stdout
    .split('\n')
    .map((l) => l.trim().split(/\s+/).pop() ?? '')
    .filter((s) => s !== '');
  return { cFile, oFile, undefinedSymbols };
}

async function cc(args: readonly string[]): Promise<void> {
  const r = await execa(CC, args, { reject: false, all: true, cwd: PROJECT_ROOT });
  if (r.exitCode !== 0) throw new BuildError('cc', `${CC} ${args.join(' ')}`, r.all ?? '', r.exitCode);
}
