// File helpers shared by the model formats: atomic, durable writes (of one file, or of a model
// directory's weight files and model.json), little-endian float32, and load errors that name the file.
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, type FileHandle } from 'node:fs/promises';
import { endianness } from 'node:os';
import { basename, dirname, join } from 'node:path';

const littleEndian = endianness() === 'LE';

/** float32 values as little-endian bytes (a copy-free view on little-endian hosts). */
export function toLittleEndian(data: Float32Array): Uint8Array {
  if (littleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const bytes = new Uint8Array(data.byteLength);
  const view = new DataView(bytes.buffer);
  data.forEach((v, i) => view.setFloat32(i * 4, v, true));
  return bytes;
}

/** `count` float32 values from little-endian bytes (one block copy on little-endian hosts). */
export function fromLittleEndian(bytes: Uint8Array, offset: number, count: number): Float32Array {
  const start = bytes.byteOffset + offset;
  if (littleEndian) return new Float32Array(bytes.buffer.slice(start, start + count * 4));
  const out = new Float32Array(count);
  const view = new DataView(bytes.buffer, start, count * 4);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** Runs `work` on an open file, then closes it; when `work` fails, its error is the one reported. */
async function closeAfter(handle: FileHandle, work: () => Promise<void>): Promise<void> {
  try {
    await work();
  } catch (error) {
    await handle.close().catch(() => {});
    throw error;
  }
  await handle.close();
}

/** Cleanup after a failed write must not hide the failure itself. */
const removeQuietly = (path: string) => rm(path, { force: true }).catch(() => {});

/** Creates `path` (never replacing a file), writes it and fsyncs it; on failure removes it. */
async function writeNewFile(path: string, chunks: Uint8Array[] | string): Promise<void> {
  const handle = await open(path, 'wx');
  try {
    await closeAfter(handle, async () => {
      // writeFile, unlike write, repeats until every byte is written.
      for (const chunk of typeof chunks === 'string' ? [chunks] : chunks) await handle.writeFile(chunk);
      await handle.sync();
    });
  } catch (error) {
    await removeQuietly(path);
    throw error;
  }
}

/**
 * fsyncs a directory, so the files created, renamed and removed in it survive a crash. Windows
 * cannot open a directory as a file and NTFS journals its metadata itself, so there it is skipped.
 */
async function syncDirectory(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  const handle = await open(dir, 'r');
  await closeAfter(handle, () => handle.sync());
}

/** Creates `dir` if needed, fsyncing the parents of the directories it created. */
async function makeDirectory(dir: string): Promise<void> {
  const first = await mkdir(dir, { recursive: true });
  if (first === undefined) return;
  for (let created = dir; ; created = dirname(created)) {
    await syncDirectory(dirname(created));
    if (created === first) return;
  }
}

/** A name beside `path` for its content until the rename commits it. */
const temporaryPath = (path: string) => `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;

/** Writes a file atomically: temporary file in the same directory, fsync, rename over the target, fsync of the directory. */
export async function writeFileAtomic(path: string, chunks: Uint8Array[] | string): Promise<void> {
  const temporary = temporaryPath(path);
  await writeNewFile(temporary, chunks);
  try {
    await rename(temporary, path);
  } catch (error) {
    await removeQuietly(temporary);
    throw error;
  }
  await syncDirectory(dirname(path));
}

/**
 * Saves a model directory so that a crash at any point leaves the previous save or this one,
 * complete: the weight files are written under names no save used before (`weightFiles`, which
 * `modelJson` lists) and fsynced, then model.json is replaced atomically, which commits the save;
 * only then are the previous save's weight files removed. A failure before the commit removes what
 * this save wrote; after it, the directory holds the new save and the error is still reported.
 */
export async function writeModelDirectory(
  dir: string,
  weightFiles: { name: string; chunks: Uint8Array[] }[],
  modelJson: string,
): Promise<void> {
  await makeDirectory(dir);
  const previous = await listedWeightFiles(dir);
  const manifestPath = join(dir, 'model.json');
  const temporary = temporaryPath(manifestPath);
  const written: string[] = [];
  try {
    for (const { name, chunks } of weightFiles) {
      await writeNewFile(join(dir, name), chunks);
      written.push(join(dir, name));
    }
    await writeNewFile(temporary, modelJson);
    written.push(temporary);
    // The weight files' directory entries must reach the disk before a model.json that names them.
    await syncDirectory(dir);
    await rename(temporary, manifestPath);
  } catch (error) {
    await Promise.all(written.map(removeQuietly));
    throw error;
  }
  await syncDirectory(dir);
  await removeStaleWeightFiles(
    dir,
    previous,
    weightFiles.map((f) => f.name),
  );
}

/** A RangeError for a file whose content is wrong, naming the file. */
export function invalid(path: string, message: string): never {
  throw new RangeError(`loadModel: ${path}: ${message}`);
}

/** Reads a file for loadModel; a missing or unreadable file is an Error naming it. */
export async function readModelFile(path: string, why = ''): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (error) {
    throw new Error(`loadModel: ${path} cannot be read${why} (${(error as Error).message})`);
  }
}

/**
 * The weight files the model.json in `dir` lists (any format with a weightsManifest), or none.
 * Only plain file names count, so cleaning up after a save never reaches outside `dir`.
 */
async function listedWeightFiles(dir: string): Promise<string[]> {
  try {
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
      weightsManifest?: { paths?: unknown[] }[];
    };
    const paths = (json.weightsManifest ?? []).flatMap((group) => group.paths ?? []);
    return paths.filter(
      (p): p is string => typeof p === 'string' && p.length > 0 && basename(p) === p && p !== 'model.json',
    );
  } catch {
    return [];
  }
}

/** After a save committed its model.json: removes the previous save's weight files it no longer uses. */
async function removeStaleWeightFiles(dir: string, previous: string[], current: string[]): Promise<void> {
  await Promise.all(previous.filter((p) => !current.includes(p)).map((p) => rm(join(dir, p), { force: true })));
}
