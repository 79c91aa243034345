// ESLint flat config: the subset linter of tsmm.
//
// src/**/*.ts, arch/**/*.ts and test/kernel/**/*.ts (the in-kernel scenarios) are compiled ahead of time by porffor (--valtype=i32) to freestanding
// C, so they must stay inside the subset that porffor compiles correctly and that behaves the same
// in Node and as int32 C (docs/subset.md, shared notes "A subset known to compile correctly").
// This file enforces that subset mechanically: almost everything is forbidden, and every message
// names its subset rule as "[subset:<rule>]" and says why and what to write instead.
//
// test/ and tools/ are full TypeScript/JavaScript: they only get a parser here (no subset rules);
// so does src/port/port.ts, the host twin of port.native.ts that the bundler never compiles.
//
// Rules that AST selectors cannot express (import aliases, function identifiers used as values)
// live in the small local plugin `subset` below. Inline `eslint-disable` comments have no effect in
// subset files (noInlineConfig): the subset cannot be switched off from inside a source file.

import tseslint from 'typescript-eslint';

const SUBSET_FILES = ['src/**/*.ts', 'arch/**/*.ts', 'test/kernel/**/*.ts'];
const NATIVE_FILES = ['src/**/*.native.ts', 'arch/**/*.native.ts', 'test/kernel/**/*.native.ts'];
/**
 * Host-only seams: never compiled by porffor, because tools/bundle.mjs swaps each for what the
 * kernel links (port.ts -> port.native.ts, paging/backend.ts -> arch/<arch>/backend.ts; keep in
 * sync with PORT_HOST and BACKEND_SEAM there). They are full TypeScript, like test/.
 */
const HOST_ONLY_FILES = ['src/port/port.ts', 'src/paging/backend.ts'];

/** A no-restricted-syntax entry whose message names the subset rule. */
const forbid = (rule, selector, why) => ({ selector, message: `[subset:${rule}] ${why}` });

// ---------------------------------------------------------------------------------------------
// Building blocks
// ---------------------------------------------------------------------------------------------

/** The one inline-C intrinsic: Porffor.c`...` (a tagged template). */
const PORFFOR_C =
  'TaggedTemplateExpression[tag.type="MemberExpression"][tag.object.type="Identifier"][tag.object.name="Porffor"][tag.property.type="Identifier"][tag.property.name="c"]';

/** An arrow function that is the initialiser of a module-level `const` (exported or not). */
const TOP_LEVEL_ARROW = [
  'Program > VariableDeclaration[kind="const"] > VariableDeclarator > ArrowFunctionExpression.init',
  'Program > ExportNamedDeclaration > VariableDeclaration[kind="const"] > VariableDeclarator > ArrowFunctionExpression.init',
].join(', ');

/** Operators that compare (for the boolean-chain rule). */
const COMPARISON = '/^(?:[<>]=?|[=!]==?)$/';

const HEAP = "pulls porffor's heap and its ~300 KB object/string runtime (malloc, printf) into the kernel";

// ---------------------------------------------------------------------------------------------
// The subset, as no-restricted-syntax entries shared by all subset files
// ---------------------------------------------------------------------------------------------

const common = [
  // ---- values that live on porffor's heap ----
  forbid('no-object', 'ObjectExpression', `object literals: an object ${HEAP}. Keep state in module-level numbers or in raw memory the manager owns.`),
  forbid('no-array', 'ArrayExpression', `array literals: an array ${HEAP}. Use raw memory (addresses + offsets) or several module-level numbers.`),
  forbid('no-destructuring', 'ArrayPattern', 'array destructuring: it reads an iterable (an array on the heap). Assign each number separately.'),
  forbid('no-destructuring', 'ObjectPattern', 'object destructuring: it reads an object on the heap. Assign each number separately.'),
  forbid(
    'no-string',
    'Literal[raw=/^["\']/]:not(ImportDeclaration > Literal.source, ExportAllDeclaration > Literal.source, ExportNamedDeclaration > Literal.source)',
    `string literals: a string ${HEAP}. Use numeric codes (error codes, flags); only import paths may be strings.`,
  ),
  forbid('no-regexp', 'Literal[regex]', `regular expressions: a RegExp ${HEAP}.`),
  forbid('no-null', 'Literal[raw="null"]', 'null: it is not a number and gets a dynamic type tag. Use 0 or -1 as the "none" value.'),
  forbid('no-template', `TemplateLiteral:not(${PORFFOR_C} > TemplateLiteral.quasi)`, `template literals: they build strings (${HEAP}). Only Porffor.c\`...\` in *.native.ts files is a template.`),
  forbid('no-template', `TaggedTemplateExpression:not(${PORFFOR_C})`, 'tagged templates: a tag is a function value called with an array of strings. Only Porffor.c`...` in *.native.ts files.'),
  forbid('no-bigint', 'Literal[bigint]', "BigInt: porffor's 2c drops every i64 op without an error (garbage results) and BigInts heap-allocate. Carry 64-bit values as (lo, hi) int32 pairs (src/int64/pair.ts)."),

  // ---- classes, enums, namespaces, type-level declarations ----
  forbid('no-class', 'ClassDeclaration, ClassExpression', `classes: instances are objects (${HEAP}). Use module-level numbers and arrow functions.`),
  forbid('no-enum', 'TSEnumDeclaration', "enums (also const enum): porffor makes them heap objects local to main(), so other functions hit a ReferenceError. Use module-level `const NAME: number = ...`."),
  forbid('no-namespace', 'TSModuleDeclaration', 'namespaces/modules/declare global: they compile to objects. Use module-level names (unique across the bundle).'),
  forbid('only-number-type', 'TSTypeAliasDeclaration, TSInterfaceDeclaration', 'type declarations: the only type in the subset is `number`.'),
  forbid('only-number-type', 'TSTypeAnnotation > :not(TSNumberKeyword)', 'the only type in the subset is `number` (porffor uses annotations as type hints; anything else falls back to dynamic typing and its runtime).'),
  forbid('only-number-type', 'TSTypeParameterDeclaration, TSTypeParameterInstantiation', 'generics: the only type in the subset is `number`.'),
  forbid('no-type-assertion', 'TSAsExpression, TSTypeAssertion, TSSatisfiesExpression, TSNonNullExpression', 'type assertions (as, <T>, satisfies, !): every value is already a number; an assertion hides a type error tsc should report.'),
  forbid('no-declare', 'TSDeclareFunction, VariableDeclaration[declare=true]', '`declare`: the bundle must define everything it uses; only types/porffor.d.ts declares (the Porffor global).'),
  forbid('no-ts-module-syntax', 'TSImportEqualsDeclaration, TSExportAssignment, TSNamespaceExportDeclaration', '`import x = require()`, `export =`, `export as namespace`: CommonJS/UMD forms the bundler cannot read. Use `import { a } from \'./x.ts\'` and `export const`.'),

  // ---- functions ----
  forbid('no-function', 'FunctionDeclaration, FunctionExpression', 'function declarations/expressions: a `function` with a return-type annotation makes porffor emit invalid Wasm or crash 2c. Write `const f = (a: number): number => ...` at module level.'),
  forbid('no-closure', `ArrowFunctionExpression:not(${TOP_LEVEL_ARROW})`, 'arrow functions only as the initialiser of a module-level `const`: a nested arrow is a closure and an arrow passed or stored is a function value; porffor stubs call_indirect, so neither works. Hoist it to `const f = (...): number => ...` at module level and call it by name.'),
  forbid('no-async', ':function[async=true], AwaitExpression, ForOfStatement[await=true]', 'async/await: promises and their scheduler live in porffor\'s heap runtime; a kernel has no event loop.'),
  forbid('no-generator', ':function[generator=true], YieldExpression', 'generators: they are heap objects with saved frames.'),
  forbid('no-rest', 'RestElement', 'rest parameters: they build an array on the heap. Declare each parameter as `name: number`.'),
  forbid('no-default-param', 'AssignmentPattern', 'default values: a default is tested against undefined, which needs dynamic types. Pass every argument explicitly.'),
  forbid('no-optional-param', 'Identifier[optional=true]', 'optional parameters: a missing argument is undefined, not a number. Pass every argument explicitly.'),
  forbid('no-spread', 'SpreadElement', 'spread: it iterates an array or object on the heap. Pass numbers one by one.'),
  forbid('call-by-name', 'CallExpression:not([callee.type="Identifier"])', 'calls only by name (`f(a, b)`) of a module-level arrow function: methods, computed callees and calls of call results need objects or function values (porffor stubs call_indirect).'),

  // ---- statements ----
  forbid('no-throw', 'ThrowStatement', 'throw: porffor compiles it to printf + exit, and error objects pull in its runtime. Return an error code (a negative number) instead.'),
  forbid('no-try', 'TryStatement', 'try/catch/finally: there are no exceptions in the kernel build. Check return codes.'),
  forbid('no-label', 'LabeledStatement', 'labels: not proven to compile correctly. Use a flag variable or an early return.'),
  forbid('no-switch', 'SwitchStatement', 'switch: not proven to compile correctly in i32 mode. Use if / else if chains.'),
  forbid('no-do-while', 'DoWhileStatement', 'do..while: not proven to compile correctly. Use `while` or `for`.'),
  forbid('no-for-in-of', 'ForInStatement, ForOfStatement', 'for..in / for..of: they iterate objects and iterables on the heap. Use a counted `for (let i: number = 0; i < n; i++)`.'),
  forbid('no-var', 'VariableDeclaration[kind="var"]', '`var`: use `let name: number = ...` or `const name: number = ...`.'),
  forbid('no-using', 'VariableDeclaration[kind=/using/]', '`using`: disposal needs objects and Symbol.dispose.'),
  forbid('no-debugger', 'DebuggerStatement, WithStatement', 'debugger/with: not part of the subset.'),
  forbid(
    'top-level-declarations',
    'Program > :not(ImportDeclaration, ExportNamedDeclaration, ExportAllDeclaration, ExportDefaultDeclaration, VariableDeclaration)',
    "module top level: only imports and `let`/`const` declarations. Top-level code runs in the generated init function that boot glue calls once; put work in a function that the caller runs explicitly.",
  ),

  // ---- variables and annotations ----
  forbid('typed-variable', 'VariableDeclarator[id.type="Identifier"]:not([id.typeAnnotation]):not([init.type="ArrowFunctionExpression"])', 'every `let`/`const` (module level, local, loop counter) is annotated `: number`: an unannotated value falls back to porffor\'s dynamic typing, which pulls in a huge runtime.'),
  forbid('let-initialiser', 'VariableDeclaration[kind="let"] > VariableDeclarator:not([init])', '`let` needs an initialiser (`let x: number = 0`): an uninitialised binding is undefined, not a number.'),
  forbid('typed-parameter', 'ArrowFunctionExpression > Identifier.params:not([typeAnnotation])', 'every parameter is annotated `: number`: porffor uses annotations as type hints; an unannotated parameter falls back to dynamic typing and its runtime.'),
  forbid('typed-return', 'ArrowFunctionExpression:not([returnType])', 'every arrow function declares its return type `: number` (a function with nothing to return returns 0).'),

  // ---- operators ----
  forbid('no-division', 'BinaryExpression[operator="/"], AssignmentExpression[operator="/="]', 'division: i32 division truncates where JS gives a fraction (7 / 2 is 3 vs 3.5), and the patched 2c refuses it. Use shifts (`x >> 12`) or a helper on powers of two.'),
  forbid('no-exponent', 'BinaryExpression[operator="**"], AssignmentExpression[operator="**="]', '`**`: it is a floating-point operation. Use shifts (`1 << n`) or multiplication.'),
  forbid(
    'no-unsigned-zero-shift',
    'BinaryExpression[operator=">>>"][right.type="Literal"]:not([right.value>=1][right.value<=31]), AssignmentExpression[operator=">>>="][right.type="Literal"]:not([right.value>=1][right.value<=31])',
    '`x >>> 0` (or a literal count outside 1..31, which JS masks to 0): JS yields an unsigned number above 2^31 that int32 (i32 mode) cannot represent. Keep values as int32 bit patterns; compare unsigned with lessThanU32 (src/int64/pair.ts); for a count that may be 0 write `(x >>> n) | 0`.',
  ),
  forbid('strict-equality', 'BinaryExpression[operator="=="], BinaryExpression[operator="!="]', '`==`/`!=` coerce through dynamic types. Use `===`/`!==`.'),
  forbid('no-in-instanceof', 'BinaryExpression[operator="in"], BinaryExpression[operator="instanceof"]', '`in`/`instanceof` work on objects, which the subset has none of.'),
  forbid('no-typeof', 'UnaryExpression[operator="typeof"]', '`typeof` inspects dynamic type tags (and yields a string); every value in the subset is a number.'),
  forbid('no-delete', 'UnaryExpression[operator="delete"]', '`delete` removes object properties; the subset has no objects.'),
  forbid('no-void', 'UnaryExpression[operator="void"]', '`void` yields undefined, which is not a number.'),
  forbid('no-unary-plus', 'UnaryExpression[operator="+"]', 'unary `+` is ToNumber, a dynamic-typing path; the value is already a number (write `x | 0` to wrap to int32).'),
  forbid('no-optional-chaining', 'ChainExpression, MemberExpression[optional=true], CallExpression[optional=true]', 'optional chaining tests for undefined/null on objects; the subset has neither.'),
  forbid('no-nullish', 'LogicalExpression[operator="??"]', '`??` tests for undefined/null, which never occur in the subset (every value is a number). Use a comparison.'),
  forbid('no-logical-assignment', 'AssignmentExpression[operator=/^(?:\\?\\?|\\|\\||&&)=$/]', '`??=`, `||=`, `&&=`: not proven to compile correctly. Write `if (!x) x = ...;`.'),
  forbid('no-comma', 'SequenceExpression', 'the comma operator: not proven to compile correctly. Write separate statements.'),
  forbid('no-comparison-chain', `BinaryExpression[operator=${COMPARISON}] > BinaryExpression.left[operator=${COMPARISON}], BinaryExpression[operator=${COMPARISON}] > BinaryExpression.right[operator=${COMPARISON}]`, 'comparing a comparison (`a < b < c`, `(a === b) === c`) compares a boolean with a number. Combine comparisons with && and ||.'),
  forbid('no-this', 'ThisExpression, Super', '`this`/`super` need objects; the subset has none.'),
  forbid('no-new', 'NewExpression', `\`new\` allocates an object (${HEAP}).`),
  forbid('no-meta', 'MetaProperty, ImportExpression', '`import.meta`, `new.target`, dynamic `import()`: not available in a porffor bundle.'),

  // ---- numeric literals ----
  forbid(
    'integer-literal',
    'Literal[raw=/^\\.|^(?!0[xXoObB])[0-9][0-9_]*[.eE]/]',
    'numeric literals are plain integers (no fraction, no exponent): with --valtype=i32 every value is an int32, and a fractional constant is truncated in C where JS keeps it.',
  ),
  forbid(
    'int32-literal',
    'Literal[raw=/^[0-9]/]:not([bigint])[value>2147483648], Literal[raw=/^0[xXoObB]/]:not([bigint])[value=2147483648], Literal[raw=/^[1-9]/][value=2147483648]:not(UnaryExpression[operator="-"] > Literal.argument)',
    'numeric literals must be int32: values >= 2^31 (0x80000000 and up) are misconverted by porffor. Write the signed bit pattern instead: -4096 for 0xFFFFF000, -2147483648 for 0x80000000.',
  ),

  // ---- imports and exports (tools/bundle.mjs concatenates modules and drops import lines) ----
  forbid('no-import-namespace', 'ImportNamespaceSpecifier', '`import * as`: a namespace is an object, and the bundler drops imports (names must be used directly). Use `import { a, b } from \'./x.ts\'`.'),
  forbid('no-default-import', 'ImportDefaultSpecifier', 'default imports: the bundler concatenates modules, so a default export has no name. Use `import { a } from \'./x.ts\'`.'),
  forbid('no-side-effect-import', 'ImportDeclaration[specifiers.length=0]', 'imports without names: modules have no side effects in the subset; import the names you use.'),
  forbid('no-import-type', 'ImportDeclaration[importKind="type"], ImportSpecifier[importKind="type"], ExportNamedDeclaration[exportKind="type"]', 'type-only imports/exports: the only type in the subset is `number`.'),
  forbid('no-import-attributes', 'ImportAttribute', 'import attributes: only `import { a } from \'./x.ts\'` is bundled.'),
  forbid('relative-ts-import', 'ImportDeclaration > Literal.source:not([value=/^\\.\\.?\\/.*\\.ts$/])', "imports are relative project files named with their extension (`'./x.ts'`, `'../y/z.ts'`): the bundler concatenates project sources and cannot bundle packages."),
  forbid('no-export-default', 'ExportDefaultDeclaration', '`export default`: porffor understands only `export const` (and module-level names must be unique across the bundle). Use `export const name ...`.'),
  forbid('no-export-list', 'ExportNamedDeclaration[declaration=null][source=null]', '`export { a }` lists: porffor fails on them ("unsupported export declaration"). Put `export` on the declaration: `export const a ...`.'),
  forbid('no-reexport', 'ExportAllDeclaration, ExportNamedDeclaration[source]', 're-exports (`export ... from`): porffor has no cross-file imports and the bundler drops them. Import from the defining module.'),
];

/** Porffor.c rules of files that may not use inline C (everything but *.native.ts). */
const portableOnly = [
  forbid('native-only', 'Identifier[name="Porffor"]', "Porffor intrinsics (Porffor.c inline C) belong only in *.native.ts files: the portable sources also run in Node, where Porffor does not exist. Put machine access behind src/port/port.ts / port.native.ts."),
  forbid('no-member', `MemberExpression:not(${PORFFOR_C} > MemberExpression.tag)`, 'property access (`a.b`, `a[i]`) needs objects or arrays; the subset has none. Use module-level numbers, or the port\'s memory read/write functions for raw memory.'),
];

/** Porffor.c rules of *.native.ts files. */
const nativeOnly = [
  forbid('porffor-c-only', `Identifier[name="Porffor"]:not(${PORFFOR_C} > MemberExpression.tag > Identifier.object)`, 'the only Porffor intrinsic allowed is Porffor.c`...` (inline C). Porffor.wasm models memory as a signed i32 offset (addresses >= 2 GiB sign-extend) and inline Wasm i64 ops are silently dropped.'),
  forbid('no-member', `MemberExpression:not(${PORFFOR_C} > MemberExpression.tag)`, 'property access (`a.b`, `a[i]`) needs objects or arrays; the subset has none (Porffor.c`...` is the one exception).'),
  forbid('porffor-c-statement', `${PORFFOR_C}:not(ExpressionStatement > ${PORFFOR_C}.expression)`, 'Porffor.c`...` is a statement of its own (it emits C text and has no value). Assign results to a local inside the C text: Porffor.c`r = ...;`.'),
  forbid('porffor-c-no-interpolation', `${PORFFOR_C} > TemplateLiteral.quasi[expressions.length>0]`, 'no ${...} in Porffor.c: porffor substitutes Wasm local indices, not C names. Name the locals directly in the C text.'),
  forbid('porffor-c-in-function', `${PORFFOR_C}:not(ArrowFunctionExpression ${PORFFOR_C})`, 'Porffor.c`...` belongs inside a small arrow function whose locals it names.'),
];

// ---------------------------------------------------------------------------------------------
// Globals: porffor implements JS globals in its runtime; the kernel has none of them
// ---------------------------------------------------------------------------------------------

const globalMessages = {
  console: "console pulls in porffor's string runtime and printf; the kernel has no stdout. Return error codes; tests print.",
  Math: 'Math works on doubles and pulls in builtins. Use integer operations (shifts, masks, comparisons) or write a helper.',
  Object: `Object is the object runtime: ${HEAP}.`,
  Array: `Array is the array runtime: ${HEAP}.`,
  JSON: `JSON needs strings and objects: ${HEAP}.`,
  Number: 'Number methods/constants are builtins on doubles; every value here is already an int32.',
  String: `String ${HEAP}.`,
  Symbol: 'Symbol is a heap-allocated runtime type.',
  Date: 'Date needs a clock and doubles; the kernel has neither.',
  Promise: "Promise is async runtime on porffor's heap; the kernel has no event loop.",
  BigInt: "BigInt: porffor's 2c drops i64 ops silently. Use (lo, hi) int32 pairs.",
  Error: 'Error objects and throw are not in the subset: return an error code.',
  undefined: 'undefined is not a number. Use 0 or -1 as the "none" value.',
  NaN: 'NaN does not exist in i32 mode.',
  Infinity: 'Infinity does not exist in i32 mode.',
  globalThis: 'globalThis is an object.',
};

const extraGlobals = ['window', 'self', 'document', 'require', 'module', 'exports', '__dirname', '__filename', 'arguments', 'eval'];
const globalNames = [...new Set([...Object.getOwnPropertyNames(globalThis), ...extraGlobals, ...Object.keys(globalMessages)])]
  .filter((name) => /^[A-Za-z_$][\w$]*$/.test(name))
  .sort();

const restrictedGlobals = globalNames.map((name) => ({
  name,
  message: `[subset:no-globals] ${
    globalMessages[name] ??
    "JS globals are implemented in porffor's runtime (builtins, heap, printf), which the kernel does not have. Use module-level numbers and your own arrow functions."
  }`,
}));

// ---------------------------------------------------------------------------------------------
// The local plugin: what selectors cannot express
// ---------------------------------------------------------------------------------------------

const isCallee = (identifier) =>
  identifier.parent?.type === 'CallExpression' && identifier.parent.callee === identifier;

const subsetPlugin = {
  meta: { name: 'tsmm-subset' },
  rules: {
    'no-function-value': {
      meta: {
        type: 'problem',
        docs: { description: 'Functions may only be called by name, never used as values.' },
        schema: [],
        messages: {
          value:
            "[subset:no-function-value] '{{name}}' is a function used as a value (passed, stored, returned or compared): porffor stubs call_indirect, so function values, callbacks and closures do not work. Call it by name.",
        },
      },
      create(context) {
        const { sourceCode } = context;
        const check = (node, onlyIfCalledSomewhere) => {
          for (const variable of sourceCode.getDeclaredVariables(node)) {
            const uses = variable.references.filter((ref) => !ref.init);
            // an imported name is known to be a function only if this module calls it
            if (onlyIfCalledSomewhere && !uses.some((ref) => isCallee(ref.identifier))) continue;
            for (const ref of uses) {
              if (!isCallee(ref.identifier)) {
                context.report({ node: ref.identifier, messageId: 'value', data: { name: variable.name } });
              }
            }
          }
        };
        return {
          'VariableDeclarator[init.type="ArrowFunctionExpression"]'(node) {
            check(node, false);
          },
          ImportSpecifier(node) {
            check(node, true);
          },
        };
      },
    },
    'define-before-use': {
      meta: {
        type: 'problem',
        docs: { description: 'A module-level function is defined before any code that calls it.' },
        schema: [],
        messages: {
          early:
            "[subset:define-before-use] '{{name}}' is called above its definition: porffor compiles a call of a not-yet-defined function as call_indirect (a function value), which the patched 2c refuses. Move the definition of '{{name}}' above its first use (no mutual recursion; self-recursion is fine).",
        },
      },
      create(context) {
        const { sourceCode } = context;
        return {
          'VariableDeclarator[init.type="ArrowFunctionExpression"]'(node) {
            for (const variable of sourceCode.getDeclaredVariables(node)) {
              for (const ref of variable.references) {
                if (ref.identifier.range[0] < node.range[0]) {
                  context.report({ node: ref.identifier, messageId: 'early', data: { name: variable.name } });
                }
              }
            }
          },
        };
      },
    },
    'no-import-alias': {
      meta: {
        type: 'problem',
        docs: { description: 'Imported names keep their names.' },
        schema: [],
        messages: {
          alias:
            "[subset:no-import-alias] 'import { a as b }': the bundler drops import lines and concatenates modules, so only the defining module's name exists in the bundle. Import the name unchanged.",
        },
      },
      create(context) {
        return {
          ImportSpecifier(node) {
            const imported = node.imported.type === 'Identifier' ? node.imported.name : node.imported.value;
            if (imported !== node.local.name) context.report({ node, messageId: 'alias' });
          },
        };
      },
    },
  },
};

// ---------------------------------------------------------------------------------------------
// The config
// ---------------------------------------------------------------------------------------------

const subsetRules = {
  'no-undef': 'error',
  'no-restricted-globals': ['error', ...restrictedGlobals],
  'subset/no-function-value': 'error',
  'subset/no-import-alias': 'error',
  'subset/define-before-use': 'error',
};

export default [
  {
    ignores: ['node_modules/**', 'build/**', 'dist/**', 'out/**', 'coverage/**', '**/*.gen.*'],
  },
  // test/, tools/, host-only twins and other TypeScript: full language, parsed but not subset-linted
  {
    files: ['**/*.ts', '**/*.mts', '**/*.cts'],
    languageOptions: {
      parser: tseslint.parser,
      sourceType: 'module',
    },
  },
  // the subset
  {
    files: SUBSET_FILES,
    ignores: HOST_ONLY_FILES,
    plugins: { subset: subsetPlugin },
    linterOptions: { noInlineConfig: true, reportUnusedDisableDirectives: 'off' },
    languageOptions: {
      parser: tseslint.parser,
      sourceType: 'module',
      globals: { Porffor: 'readonly' },
    },
    rules: {
      ...subsetRules,
      'no-restricted-syntax': ['error', ...common, ...portableOnly],
    },
  },
  // *.native.ts: the same subset, plus Porffor.c`...` inline C
  {
    files: NATIVE_FILES,
    rules: {
      'no-restricted-syntax': ['error', ...common, ...nativeOnly],
    },
  },
];
