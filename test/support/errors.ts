/* Error names on the host: the exported ERR_* constants of src/errors.ts, by value. */
import * as errors from '../../src/errors.ts';

const names = new Map<number, string>(
  Object.entries(errors)
    .filter(([name]) => name.startsWith('ERR_'))
    .map(([name, value]) => [value as number, name]),
);

export const errorName = (code: number): string => (code >= 0 ? 'ok' : (names.get(code) ?? `ERR_UNKNOWN(${code})`));
export const errorCodes = (): Map<number, string> => new Map(names);
