// HDF5 reading through h5wasm (the HDF5 C library compiled to WebAssembly, so gzip-compressed and
// chunked datasets read exactly as h5py writes them), with the few typed accessors Keras files need.
import { resolve } from 'node:path';
import type * as H5 from 'h5wasm';
import { invalid } from './files';

type H5Module = typeof H5;

/** The 8 bytes every HDF5 file starts with (h5py writes no user block). */
export const HDF5_SIGNATURE = Uint8Array.from([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a]);

// h5wasm is an ES module only (its exports map has no `require` condition). convkit compiles to
// CommonJS, where tsc rewrites import() into require(); a Function body keeps the real import().
const nativeImport = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

async function importH5wasm(): Promise<H5Module> {
  try {
    return (await nativeImport('h5wasm/node')) as H5Module;
  } catch (error) {
    // Code that a test runner evaluates in a vm without an import callback cannot use the
    // Function's import(); there the runner handles the module's own import() expressions.
    if ((error as { code?: string }).code !== 'ERR_VM_DYNAMIC_IMPORT_CALLBACK_MISSING') throw error;
    const specifier = 'h5wasm/node';
    return (await import(specifier)) as H5Module;
  }
}

let loading: Promise<H5Module> | undefined;

/** h5wasm's Node build (it reads the host file system directly), loaded and initialized once. */
function h5wasm(): Promise<H5Module> {
  loading ??= importH5wasm().then(
    async (module) => {
      await module.ready;
      return module;
    },
    (error: Error) => {
      loading = undefined;
      throw new Error(`loadModel: cannot load h5wasm, which convkit reads HDF5 files with (${error.message})`);
    },
  );
  return loading;
}

/** An open HDF5 file and typed reads from it; errors name the path inside the file. */
export class Hdf5Reader {
  constructor(
    private readonly h5: H5Module,
    readonly file: H5.File,
  ) {}

  /** The group at `path`, or undefined when there is none (or it is not a group). */
  group(path: string): H5.Group | undefined {
    const entity = this.file.get(path);
    return entity instanceof this.h5.Group ? entity : undefined;
  }

  /** A string attribute (h5py writes Python str as variable-length, bytes as fixed-length strings). */
  string(entity: H5.Group, name: string): string | undefined {
    const value = entity.attrs[name]?.value;
    if (typeof value === 'string') return value;
    if (Array.isArray(value) && value.length === 1 && typeof value[0] === 'string') return value[0];
    return undefined;
  }

  /**
   * A list-of-strings attribute. Keras splits one that would pass HDF5's 64 KiB header limit into
   * `name0`, `name1`, …; an empty list is stored as an empty float array.
   */
  strings(entity: H5.Group, name: string): string[] | undefined {
    const attrs = entity.attrs;
    const parts =
      name in attrs
        ? [attrs[name]]
        : Object.keys(attrs)
            .filter((key) => new RegExp(`^${name}\\d+$`).test(key))
            .sort((a, b) => Number(a.slice(name.length)) - Number(b.slice(name.length)))
            .map((key) => attrs[key]);
    if (parts.length === 0) return undefined;
    return parts.flatMap((attribute) => {
      const value = attribute.value;
      if (typeof value === 'string') return [value];
      if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
      if (ArrayBuffer.isView(value) && (value as Float64Array).length === 0) return [];
      throw new RangeError(`attribute '${name}' of ${entity.path} must be a list of strings, got ${attribute.dtype}`);
    });
  }

  /** A float32 dataset, as a Keras weight; other types are refused (convkit computes in float32). */
  float32(group: H5.Group, name: string): { shape: number[]; data: Float32Array } {
    const path = `${group.path === '/' ? '' : group.path}/${name}`;
    const dataset = group.get(name);
    if (!(dataset instanceof this.h5.Dataset)) throw new RangeError(`${path} is missing or not a dataset`);
    const { type, size, littleEndian, shape } = dataset.metadata;
    // h5wasm's type codes follow HDF5's H5T_class_t: 1 is floating point.
    if (type !== 1 || size !== 4 || !littleEndian) {
      throw new RangeError(`${path} has dtype ${JSON.stringify(dataset.dtype)}: convkit reads float32 weights only`);
    }
    return { shape: [...(shape ?? [])], data: dataset.value as Float32Array };
  }
}

/** The innermost reason of an HDF5 error stack ("truncated file: eof = …"). */
function hdf5Reason(diagnostic: string): string {
  const reasons = [...diagnostic.matchAll(/#\d+: .* in [\w]+\(\): (.*)$/gm)].map((m) => m[1]);
  return reasons[reasons.length - 1] ?? diagnostic.split('\n')[0];
}

/**
 * Opens an HDF5 file read-only for the duration of `use` (synchronous, so HDF5's errors become
 * exceptions for exactly that span instead of diagnostics printed to stderr).
 */
export async function withHdf5File<T>(path: string, use: (reader: Hdf5Reader) => T): Promise<T> {
  const h5 = await h5wasm();
  h5.Module.activate_throwing_error_handler();
  try {
    const file = new h5.File(resolve(path), 'r');
    try {
      return use(new Hdf5Reader(h5, file));
    } finally {
      file.close();
    }
  } catch (error) {
    const message = (error as Error)?.message ?? String(error);
    if (!message.startsWith('HDF5-DIAG')) throw error;
    invalid(path, `cannot be read as HDF5: ${hdf5Reason(message)} (a damaged or truncated file?)`);
  } finally {
    h5.Module.deactivate_throwing_error_handler();
  }
}
