/*
 * Ambient declarations for the subset sources (src/, arch/).
 *
 * Porffor.c`...` is porffor's inline-C intrinsic: porffor emits the template text verbatim into the
 * generated C, where it may name the enclosing function's parameters and locals. It exists only in
 * porffor builds, so the subset linter (eslint.config.js) allows it only in *.native.ts files, as a
 * statement inside an arrow function, without ${...} interpolation.
 */
declare const Porffor: { c(strings: TemplateStringsArray, ...values: unknown[]): void };
