// Table-driven bad-input tests: each row calls one public entry point with one kind of bad input
// and names the error it must get. A row passes only if the call throws (or its Promise rejects)
// with exactly that error class and a message matching the pattern, so a crash, a hang, a silent
// success or a vague message all fail it. Other test files add their own tables with badInputTable.
import { expect, it } from 'vitest';

export type ErrorClass = typeof TypeError | typeof RangeError | typeof Error;

export interface BadInputRow {
  /** The entry point, as a user calls it: 'ck.tensor', 'model.fit', 'ck.layers.conv2d', ... */
  entry: string;
  /** What is wrong with the input. */
  input: string;
  /** Makes the call; may return a Promise, which must reject. */
  call: () => unknown;
  /** The exact class expected (a TypeError row fails on a RangeError and vice versa). */
  error: ErrorClass;
  /** Must match the message: the argument or field, and what is wrong with it. */
  message: RegExp;
}

/** `array` with its buffer detached (transferred away, as posting it to a worker would). */
export function detach<T extends ArrayBufferView>(array: T): T {
  structuredClone(array.buffer, { transfer: [array.buffer as ArrayBuffer] });
  return array;
}

/** What a call threw or rejected with; fails the test if it returned normally. */
export async function errorOf(call: () => unknown): Promise<unknown> {
  try {
    await call();
  } catch (error) {
    return error;
  }
  return expect.fail('the call succeeded, but it should have thrown');
}

/** One `it` per row, named `entry: input`. */
export function badInputTable(rows: BadInputRow[]): void {
  it.each(rows.map((row) => [`${row.entry}: ${row.input}`, row] as const))('%s', async (_name, row) => {
    const error = await errorOf(row.call);
    expect(error, 'an Error object').toBeInstanceOf(Error);
    const { constructor: errorClass, message } = error as Error;
    expect(errorClass.name, `class of "${message}"`).toBe(row.error.name);
    expect(message).toMatch(row.message);
  });
}
