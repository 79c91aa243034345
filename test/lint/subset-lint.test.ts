/*
 * The subset linter (eslint.config.js): every forbidden construct is rejected with the message of
 * its subset rule, valid subset code passes with no message at all, Porffor.c is allowed only in
 * *.native.ts files, and the repository's own src/ and arch/ lint clean.
 *
 * Snippets are linted with lintText under a path inside src/ (the file need not exist), so the
 * subset config applies exactly as it does to real sources.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = join(ROOT, 'eslint.config.js');
const PORTABLE = 'src/__subset_lint_fixture__.ts';
const NATIVE = 'src/__subset_lint_fixture__.native.ts';

const eslint = new ESLint({ cwd: ROOT, overrideConfigFile: CONFIG });

const lint = async (code: string, file: string = PORTABLE): Promise<ESLint.LintResult> => {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, file) });
  return result;
};

/** "[subset:<rule>]" tags of a result's messages; core rules without a tag count by rule id. */
const tagsOf = (result: ESLint.LintResult): string[] =>
  result.messages.map((m) => /\[subset:([a-z0-9-]+)\]/.exec(m.message)?.[1] ?? String(m.ruleId));

const describeMessages = (result: ESLint.LintResult): string =>
  result.messages.map((m) => `${m.line}:${m.column} ${m.ruleId ?? 'fatal'} ${m.message}`).join('\n') || '(no messages)';

/** A snippet inside a valid module-level arrow function with two number parameters. */
const fn = (body: string): string =>
  `export const f = (x: number, y: number): number => {\n${body}\nreturn x;\n};\n`;
/** A callable module-level function `g`, then `fn(body)`. */
const withG = (body: string): string => `const g = (a: number): number => a;\n${fn(body)}`;

type Case = [name: string, code: string, rule: string, file?: string];

const forbidden: Case[] = [
  // heap values
  ['object literal', 'const o = { a: 1 };', 'no-object'],
  ['object literal as an argument', withG('x = g({ a: 1 } as never);'), 'no-object'],
  ['array literal', 'const a = [1, 2];', 'no-array'],
  ['array destructuring assignment', fn('[x, y] = [y, x];'), 'no-destructuring'],
  ['array destructuring declaration', fn('const [a]: number = y;'), 'no-destructuring'],
  ['object destructuring declaration', fn('const { a }: number = y;'), 'no-destructuring'],
  ['object destructuring parameter', 'const f = ({ a }: number): number => 0;', 'no-destructuring'],
  ['string literal (single quotes)', "const s = 'x';", 'no-string'],
  ['string literal (double quotes)', withG('x = g("a" as never);'), 'no-string'],
  ['directive', "'use strict';\nconst a: number = 1;", 'no-string'],
  ['template literal', fn('x = `${x}` as never;'), 'no-template'],
  ['template literal without substitutions', fn('x = `abc` as never;'), 'no-template'],
  ['tagged template with another tag', withG('g`x`;'), 'no-template'],
  ['regular expression', fn('x = /a/ as never;'), 'no-regexp'],
  ['null', fn('x = null as never;'), 'no-null'],
  ['BigInt literal', 'const b = 10n;', 'no-bigint'],

  // Porffor intrinsics
  ['Porffor.c in a portable file', fn('Porffor.c`x = 1;`;'), 'native-only'],
  ['Porffor.c in a portable file under arch/', fn('Porffor.c`x = 1;`;'), 'native-only', 'arch/x86-64/__fixture__.ts'],
  ['Porffor.wasm in a native file', fn('Porffor.wasm`local.get 0`;'), 'porffor-c-only', NATIVE],
  ['Porffor.c with ${} in a native file', fn('Porffor.c`x = ${y};`;'), 'porffor-c-no-interpolation', NATIVE],
  ['Porffor.c used as a value in a native file', fn('x = Porffor.c`1` as never;'), 'porffor-c-statement', NATIVE],
  ['Porffor.c at module level in a native file', 'const a: number = 0;\nPorffor.c`;`;', 'porffor-c-in-function', NATIVE],
  ['a template other than Porffor.c in a native file', fn('x = `a` as never;'), 'no-template', NATIVE],

  // classes, enums, namespaces, types
  ['class declaration', 'class A {}', 'no-class'],
  ['class expression', 'const A = class {};', 'no-class'],
  ['enum', 'enum E { A, B }', 'no-enum'],
  ['const enum', 'const enum E { A = 1 }', 'no-enum'],
  ['namespace', 'namespace N { export const a: number = 1; }', 'no-namespace'],
  ['declare global', 'declare global { const q: number; }', 'no-namespace'],
  ['type alias', 'type T = number;', 'only-number-type'],
  ['interface', 'interface I { a: number }', 'only-number-type'],
  ['non-number annotation', 'let s: string = 0 as never;', 'only-number-type'],
  ['boolean parameter', 'const f = (b: boolean): number => (b ? 1 : 0);', 'only-number-type'],
  ['void return type', 'const f = (x: number): void => {};', 'only-number-type'],
  ['array type', 'const f = (a: number[]): number => 0;', 'only-number-type'],
  ['generic', 'const f = <T,>(a: number): number => a;', 'only-number-type'],
  ['as', fn('x = y as number;'), 'no-type-assertion'],
  ['non-null assertion', fn('x = y!;'), 'no-type-assertion'],
  ['declare', 'declare const d: number;', 'no-declare'],
  ['import = require', "import fs = require('./x.ts');", 'no-ts-module-syntax'],

  // functions
  ['function declaration', 'function f(a: number): number { return a; }', 'no-function'],
  ['function expression', 'const f = function (a: number): number { return a; };', 'no-function'],
  ['nested arrow (closure)', fn('const h = (a: number): number => a + x;\nx = h(1);'), 'no-closure'],
  ['arrow passed as an argument', withG('x = g(((a: number): number => a) as never);'), 'no-closure'],
  ['arrow bound to a module-level let', 'let h = (a: number): number => a;', 'no-closure'],
  ['function stored in a variable', 'const g = (a: number): number => a;\nconst h: number = g;', 'no-function-value'],
  ['function compared', 'const g = (a: number): number => a;\nconst h = (a: number): number => (g === h ? 1 : a);', 'no-function-value'],
  ['function passed as an argument', 'const g = (a: number): number => a;\nconst h = (a: number): number => a;\nconst k: number = h(g);', 'no-function-value'],
  ['function returned', 'const g = (a: number): number => a;\nconst h = (): number => g;', 'no-function-value'],
  ['imported function used as a value', "import { g } from './g.ts';\nconst h = (): number => g(1) + g;", 'no-function-value'],
  ['function called above its definition', 'const a = (x: number): number => b(x);\nconst b = (x: number): number => x;', 'define-before-use'],
  ['mutual recursion', 'const a = (x: number): number => (x ? b(x - 1) : 0);\nconst b = (x: number): number => a(x);', 'define-before-use'],
  ['async arrow', 'const f = async (): number => 0;', 'no-async'],
  ['generator', 'function* gen(): number { yield 1; }', 'no-generator'],
  ['rest parameter', 'const f = (...a: number): number => 0;', 'no-rest'],
  ['default parameter', 'const f = (a: number = 1): number => a;', 'no-default-param'],
  ['optional parameter', 'const f = (a?: number): number => 0;', 'no-optional-param'],
  ['spread argument', withG('x = g(...(y as never));'), 'no-spread'],
  ['call of a call result', withG('x = g(1)(2);'), 'call-by-name'],
  ['method call', fn('x = y.toString() as never;'), 'call-by-name'],

  // statements
  ['throw', fn('throw 1;'), 'no-throw'],
  ['try/catch', fn('try { x = 1; } catch { x = 2; }'), 'no-try'],
  ['try/finally', fn('try { x = 1; } finally { x = 2; }'), 'no-try'],
  ['label', fn('outer: for (;;) { break outer; }'), 'no-label'],
  ['switch', fn('switch (x) { case 1: x = 2; break; }'), 'no-switch'],
  ['do..while', fn('do { x++; } while (x < 3);'), 'no-do-while'],
  ['for..in', fn('for (const k in y as never) { x++; }'), 'no-for-in-of'],
  ['for..of', fn('for (const k of y as never) { x++; }'), 'no-for-in-of'],
  ['var', 'var v: number = 1;', 'no-var'],
  ['using', fn('using r: number = 0 as never;'), 'no-using'],
  ['debugger', fn('debugger;'), 'no-debugger'],
  ['top-level expression statement', 'let a: number = 0;\na = 1;', 'top-level-declarations'],
  ['top-level if', 'let a: number = 0;\nif (a) a = 2;', 'top-level-declarations'],

  // annotations
  ['unannotated parameter', 'const f = (a, b: number): number => b;', 'typed-parameter'],
  ['missing return type', 'const f = (a: number) => a;', 'typed-return'],
  ['unannotated module-level const', 'const a = 1;', 'typed-variable'],
  ['unannotated module-level let', 'export let a = 1;', 'typed-variable'],
  ['unannotated local', fn('const a = x;'), 'typed-variable'],
  ['unannotated loop counter', fn('for (let i = 0; i < x; i++) { y++; }'), 'typed-variable'],
  ['let without initialiser', 'let a: number;', 'let-initialiser'],

  // operators
  ['division', fn('x = x / 2;'), 'no-division'],
  ['division assignment', fn('x /= 2;'), 'no-division'],
  ['exponent', fn('x = x ** 2;'), 'no-exponent'],
  ['exponent assignment', fn('x **= 2;'), 'no-exponent'],
  ['x >>> 0', fn('x = x >>> 0;'), 'no-unsigned-zero-shift'],
  ['x >>>= 0', fn('x >>>= 0;'), 'no-unsigned-zero-shift'],
  ['x >>> 32 (a shift by 0 in JS)', fn('x = x >>> 32;'), 'no-unsigned-zero-shift'],
  ['==', fn('if (x == y) x = 1;'), 'strict-equality'],
  ['!=', fn('if (x != y) x = 1;'), 'strict-equality'],
  ['in', fn('x = (x in (y as never)) ? 1 : 0;'), 'no-in-instanceof'],
  ['instanceof', fn('x = (x instanceof (y as never)) ? 1 : 0;'), 'no-in-instanceof'],
  ['typeof', fn("if (typeof x === 'number') x = 1;"), 'no-typeof'],
  ['delete', fn('delete x;'), 'no-delete'],
  ['void', fn('x = void 0 as never;'), 'no-void'],
  ['unary plus', fn('x = +y;'), 'no-unary-plus'],
  ['optional chaining', fn('x = (y as never)?.z;'), 'no-optional-chaining'],
  ['optional call', withG('x = g?.(1);'), 'no-optional-chaining'],
  ['nullish coalescing', fn('x = x ?? y;'), 'no-nullish'],
  ['logical assignment', fn('x ||= y;'), 'no-logical-assignment'],
  ['nullish assignment', fn('x ??= y;'), 'no-logical-assignment'],
  ['comma operator', fn('x = (y++, y);'), 'no-comma'],
  ['comparison chain', fn('if (x < y < 3) x = 1;'), 'no-comparison-chain'],
  ['property access', fn('x = (y as never).z;'), 'no-member'],
  ['index access', fn('x = (y as never)[0];'), 'no-member'],
  ['this', fn('x = this as never;'), 'no-this'],
  ['new', fn('x = new Uint8Array(4) as never;'), 'no-new'],
  ['import.meta', fn('x = import.meta as never;'), 'no-meta'],
  ['dynamic import', fn("x = import('./x.ts') as never;"), 'no-meta'],

  // numeric literals
  ['fraction', 'const a: number = 1.5;', 'integer-literal'],
  ['leading-dot fraction', 'const a: number = .5;', 'integer-literal'],
  ['exponent notation', 'const a: number = 1e3;', 'integer-literal'],
  ['decimal literal >= 2^31', 'const a: number = 3000000000;', 'int32-literal'],
  ['2147483648 without a minus', 'const a: number = 2147483648;', 'int32-literal'],
  ['hex 0x80000000', 'const a: number = 0x80000000;', 'int32-literal'],
  ['hex 0xFFFFF000', 'const a: number = 0xFFFFF000;', 'int32-literal'],
  ['negated hex 0x80000000', 'const a: number = -0x80000000;', 'int32-literal'],

  // globals
  ['console', fn('console.log(x);'), 'no-globals'],
  ['Math', fn('x = Math.max(x, y);'), 'no-globals'],
  ...['Object', 'Array', 'JSON', 'Number', 'String', 'Symbol', 'Date', 'Promise', 'BigInt', 'Error', 'Uint8Array', 'Reflect', 'undefined', 'NaN', 'Infinity', 'globalThis', 'process', 'eval', 'parseInt']
    .map((name): Case => [`global ${name}`, fn(`x = ${name} as never;`), 'no-globals']),
  ['an undeclared name', fn('x = notDeclaredAnywhere;'), 'no-undef'],

  // imports and exports
  ['import * as', "import * as m from './m.ts';", 'no-import-namespace'],
  ['default import', "import m from './m.ts';", 'no-default-import'],
  ['side-effect import', "import './m.ts';", 'no-side-effect-import'],
  ['import type', "import type { T } from './m.ts';", 'no-import-type'],
  ['inline type import', "import { type T, a } from './m.ts';", 'no-import-type'],
  ['import alias', "import { a as b } from './m.ts';\nconst c: number = b;", 'no-import-alias'],
  ['package import', "import { a } from 'some-package';", 'relative-ts-import'],
  ['import without .ts', "import { a } from './m';", 'relative-ts-import'],
  ['import attributes', "import { a } from './m.ts' with { type: 'json' };", 'no-import-attributes'],
  ['export default', 'const a: number = 1;\nexport default a;', 'no-export-default'],
  ['export list', 'const a: number = 1;\nexport { a };', 'no-export-list'],
  ['re-export of names', "export { a } from './m.ts';", 'no-reexport'],
  ['re-export of everything', "export * from './m.ts';", 'no-reexport'],
];

const valid: [name: string, code: string, file?: string][] = [
  [
    'annotated arrow functions, module-level numbers, exports',
    `/** A documented constant. */
const PAGE_SHIFT: number = 12;
export let lastPage: number = 0;
export const NONE: number = 0x0;
const PAGE_MASK: number = -4096;
export let pairHi: number = 0;
let counter: number = 0;

export const pageOf = (address: number): number => address & PAGE_MASK;
export const frame = (lo: number, hi: number): number => (lo >>> PAGE_SHIFT) | (hi << 20);
const bump = (): number => {
  counter = (counter + 1) | 0;
  return counter;
};
export const twice = (a: number): number => (bump() + pageOf(a) + frame(a, a)) | 0;
`,
  ],
  [
    'control flow: if/else, for, while, break, continue, return, ternaries, logic',
    `export const scan = (start: number, count: number, limit: number): number => {
  let found: number = -1;
  for (let i: number = start; i < count; i++) {
    if (i === limit) break;
    if ((i & 1) !== 0 && !(i > 100)) continue;
    else if (i < 0 || i >= 4096) {
      found = -2;
    } else {
      found = i;
    }
  }
  let j: number = count;
  while (j > 0) {
    j--;
    if (j === 7) return j;
  }
  while (true) {
    if (j <= 0) break;
  }
  return found > 0 ? found : (count === 0 ? -1 : 0);
};
`,
  ],
  [
    'every allowed operator and compound assignment',
    `export const ops = (a: number, b: number, n: number): number => {
  let r: number = 0;
  r = (a + b) | 0;
  r = (a - b) | 0;
  r = (a * b) | 0;
  r = a % 7;
  r = a | b;
  r = a & b;
  r = a ^ b;
  r = ~a;
  r = -a;
  r = a << 3;
  r = a >> 3;
  r = a >>> 1;
  r = a >>> 31;
  r = a >>> n;
  r = (a >>> n) | 0;
  r += a;
  r -= b;
  r *= 3;
  r %= 5;
  r |= 1;
  r &= 255;
  r ^= a;
  r <<= 2;
  r >>= 1;
  r >>>= 4;
  r++;
  ++r;
  r--;
  --r;
  if (a === b || a !== b || a < b || a <= b || a > b || a >= b) r = r | 0;
  if (a && b) r = 1;
  return !r ? 1 : 0;
};
`,
  ],
  [
    'int32 literals: negative hex, signed forms, other bases, separators',
    `const A: number = -4096;
const B: number = -0x1000;
const C: number = -2147483648;
const D: number = 2147483647;
const E: number = 0x7fffffff;
const F: number = 0b1011;
const G: number = 0o17;
const H: number = 1_000_000;
const I: number = 0xE5;
export const J: number = 0;
export const all = (): number => (A ^ B ^ C ^ D ^ E ^ F ^ G ^ H ^ I ^ J) | 0;
const countdown = (n: number): number => (n > 0 ? countdown(n - 1) + 1 : 0);
export const ten = (): number => countdown(10);
`,
  ],
  [
    'imports of names from relative .ts files, called by name',
    `import { add64, pairHi } from '../int64/pair.ts';
import {
  lessThanU32,
  compareU64,
} from '../int64/pair.ts';

export const sum = (lo: number, hi: number): number => {
  const r: number = add64(lo, hi, 1, 0);
  return lessThanU32(r, pairHi) === 1 ? compareU64(r, pairHi, lo, hi) : r;
};
`,
  ],
  [
    'Porffor.c in a *.native.ts file',
    `export const read32 = (lo: number, hi: number): number => {
  let value: number = 0;
  Porffor.c\`value = *(volatile i32 *)(uintptr_t)(((u64)(u32)hi << 32) | (u32)lo);\`;
  return value;
};
export const invlpg = (lo: number, hi: number): number => {
  if (hi === 0) {
    Porffor.c\`glue_invlpg(lo, hi);\`;
  }
  return 0;
};
`,
    NATIVE,
  ],
  ['a subset file under arch/', 'const LEVELS: number = 4;\nexport const levels = (): number => LEVELS;\n', 'arch/x86-64/__fixture__.ts'],
];

describe('subset linter: forbidden constructs', () => {
  it.each(forbidden)('rejects %s', async (_name, code, rule, file) => {
    const result = await lint(code, file);
    // every snippet parses: the rule, not the parser, rejects it
    expect(result.messages.filter((m) => m.fatal), describeMessages(result)).toEqual([]);
    expect(tagsOf(result), describeMessages(result)).toContain(rule);
    expect(result.messages.every((m) => m.severity === 2), describeMessages(result)).toBe(true);
  });

  it('has a case for every subset rule in eslint.config.js', () => {
    const config = readFileSync(CONFIG, 'utf8');
    const rules = new Set([...config.matchAll(/forbid\(\s*'([a-z0-9-]+)'/g), ...config.matchAll(/\[subset:([a-z0-9-]+)\]/g)].map((m) => m[1]));
    rules.delete('<rule>');
    const tested = new Set(forbidden.map(([, , rule]) => rule));
    expect([...rules].filter((rule) => !tested.has(rule))).toEqual([]);
    expect(rules.size).toBeGreaterThan(40);
  });

  it('documents every subset rule in docs/subset.md', () => {
    const config = readFileSync(CONFIG, 'utf8');
    const docs = readFileSync(join(ROOT, 'docs/subset.md'), 'utf8');
    const rules = new Set([...config.matchAll(/forbid\(\s*'([a-z0-9-]+)'/g), ...config.matchAll(/\[subset:([a-z0-9-]+)\]/g)].map((m) => m[1]));
    rules.delete('<rule>');
    expect([...rules].filter((rule) => !docs.includes(`\`${rule}\``))).toEqual([]);
  });

  it('cannot be switched off by an inline eslint-disable comment', async () => {
    const result = await lint("/* eslint-disable */\n// eslint-disable-next-line no-restricted-syntax\nconst s = 'x';\n");
    expect(tagsOf(result)).toContain('no-string');
  });
});

describe('subset linter: valid subset code', () => {
  it.each(valid)('accepts %s', async (_name, code, file) => {
    const result = await lint(code, file);
    expect(result.messages, describeMessages(result)).toEqual([]);
  });

  it('rejects the same Porffor.c function in a portable file', async () => {
    const native = valid.find(([name]) => name.startsWith('Porffor.c'));
    const result = await lint(native![1], PORTABLE);
    expect(tagsOf(result)).toEqual(['native-only', 'native-only']);
  });
});

describe('subset linter: scope of the config', () => {
  it('applies the subset to src/, arch/ and test/kernel/ TypeScript only', async () => {
    const subset = await eslint.calculateConfigForFile(join(ROOT, 'src/x/y.ts'));
    const archSubset = await eslint.calculateConfigForFile(join(ROOT, 'arch/i386/y.ts'));
    const kernelSubset = await eslint.calculateConfigForFile(join(ROOT, 'test/kernel/i386/y.ts'));
    const testFile = await eslint.calculateConfigForFile(join(ROOT, 'test/host/y.test.ts'));
    const hostPort = await eslint.calculateConfigForFile(join(ROOT, 'src/port/port.ts'));
    expect(subset.rules['no-restricted-syntax']).toBeDefined();
    expect(archSubset.rules['no-restricted-syntax']).toBeDefined();
    expect(kernelSubset.rules['no-restricted-syntax']).toBeDefined();
    expect(testFile.rules?.['no-restricted-syntax']).toBeUndefined();
    // the host twin of port.native.ts is never compiled by porffor (tools/bundle.mjs swaps it)
    expect(hostPort.rules?.['no-restricted-syntax']).toBeUndefined();
  });

  it('parses test/ TypeScript without subset rules', async () => {
    const result = await lint("const o = { a: [1, 2], s: `x` };\nexport class A { m(): string { return 'x'; } }\n", 'test/host/__fixture__.test.ts');
    expect(result.messages, describeMessages(result)).toEqual([]);
  });
});

describe('subset linter: the repository', () => {
  it('finds no subset violation in src/, arch/ and test/kernel/', async () => {
    const linter = new ESLint({ cwd: ROOT, overrideConfigFile: CONFIG, errorOnUnmatchedPattern: false });
    const results = await linter.lintFiles(['src/**/*.ts', 'arch/**/*.ts', 'test/kernel/**/*.ts']);
    expect(results.length).toBeGreaterThan(3);
    const problems = results
      .filter((r) => r.errorCount > 0 || r.fatalErrorCount > 0)
      .map((r) => `${r.filePath.slice(ROOT.length)}\n${describeMessages(r)}`);
    expect(problems.join('\n\n')).toBe('');
  });
});

describe('type check', () => {
  it('tsc --strict --noEmit passes on the whole project', () => {
    const result = spawnSync(join(ROOT, 'node_modules/.bin/tsc'), ['--noEmit', '-p', join(ROOT, 'tsconfig.json')], { encoding: 'utf8' });
    expect(result.stdout + result.stderr).toBe('');
    expect(result.status).toBe(0);
  }, 120_000);
});
