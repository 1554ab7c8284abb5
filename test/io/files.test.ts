// Saves that fail part way: each file operation of a save fails in turn (once, or as a crash that
// stops every later operation too), and the directory must still load as the previous save or as
// the new one, never neither, with the save rejecting with the operation's error.
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ck from '../../lib';
import { writeFileAtomic } from '../../lib/io/files';
import { arm, disarm, injectedError, steps } from '../helpers/fs_faults';

vi.mock('node:fs/promises', async (original) => (await import('../helpers/fs_faults')).faultyFs(await original()));

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'convkit-faults-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});
afterEach(disarm);

// Two different architectures, so a mix of the two saves could not load either way.
const previousModel = () =>
  ck.sequential({
    name: 'previous',
    seed: 1,
    layers: [
      ck.layers.conv2d({ inputShape: [6, 6, 1], filters: 2, kernelSize: 3 }),
      ck.layers.flatten(),
      ck.layers.dense({ units: 3 }),
    ],
  });
const nextModel = () =>
  ck.sequential({
    name: 'next',
    seed: 2,
    layers: [
      ck.layers.flatten({ inputShape: [6, 6, 1] }),
      ck.layers.dense({ units: 5, activation: 'relu' }),
      ck.layers.dense({ units: 3 }),
    ],
  });

function expectSameWeights(loaded: ck.Model, expected: ck.Model, what: string): void {
  expect(loaded.name, what).toBe(expected.name);
  const weights = loaded.getWeights();
  expect(weights.length, what).toBe(expected.getWeights().length);
  expected.getWeights().forEach((w, i) => expect(weights[i].data, `${what}: weight ${i}`).toEqual(w.data));
}

const listing = async (dir: string) => (await readdir(dir)).sort();

/** The steps of a save that does not fail, and the index of the rename that commits it. */
async function stepsOfSave(save: () => Promise<void>): Promise<{ saveSteps: string[]; commit: number }> {
  arm();
  await save();
  disarm();
  return { saveSteps: [...steps], commit: steps.indexOf('rename model.json.tmp') };
}

/**
 * Fails each step of `save` in turn, over a directory holding `previous`'s save: the save rejects
 * with the step's error and the directory loads as `previous` up to the commit, as `next` after it.
 * A single failure leaves no file behind before the commit and no temporary file after it.
 */
async function failEachStep(name: string, format: 'convkit' | 'tfjs', crash: boolean) {
  const dir = join(root, name);
  const previous = previousModel();
  const next = nextModel();
  const reset = async () => {
    await rm(dir, { recursive: true, force: true });
    await previous.save(dir, { format });
    return listing(dir);
  };
  await reset();
  const { saveSteps, commit } = await stepsOfSave(() => next.save(dir, { format }));
  expect(commit).toBeGreaterThan(0);
  for (const [index, step] of saveSteps.entries()) {
    const what = `${format}, ${crash ? 'crash' : 'failure'} at step ${index} '${step}'`;
    const before = await reset();
    const error = injectedError(step);
    arm({ failAt: index, crash, error });
    await expect(next.save(dir, { format }), what).rejects.toBe(error);
    disarm();
    expectSameWeights(await ck.loadModel(dir), index <= commit ? previous : next, what);
    if (crash) continue;
    const after = await listing(dir);
    if (index <= commit) expect(after, what).toEqual(before);
    else
      expect(
        after.filter((f) => f.includes('.tmp-')),
        what,
      ).toEqual([]);
  }
  return saveSteps;
}

describe('a convkit save that fails at any step leaves the previous save or the new one', () => {
  it('fsyncs the weights and the directory before model.json commits, and removes the previous weights after', async () => {
    const saveSteps = await failEachStep('convkit', 'convkit', false);
    const file = (name: string) => [`open ${name}`, `writeFile ${name}`, `sync ${name}`, `close ${name}`];
    const syncDirectory = ['open convkit', 'sync convkit', 'close convkit'];
    expect(saveSteps).toEqual([
      'mkdir convkit',
      'open weights-*.bin',
      ...Array(4).fill('writeFile weights-*.bin'),
      'sync weights-*.bin',
      'close weights-*.bin',
      ...file('model.json.tmp'),
      ...syncDirectory,
      'rename model.json.tmp',
      ...syncDirectory,
      'rm weights-*.bin',
    ]);
  });

  it('after a crash at any step', async () => {
    await failEachStep('convkit-crash', 'convkit', true);
  });
});

describe('a tfjs save that fails at any step leaves the previous save or the new one', () => {
  it('after a failure at any step', async () => {
    const saveSteps = await failEachStep('tfjs', 'tfjs', false);
    expect(saveSteps.filter((s) => s.startsWith('sync') || s.startsWith('rename') || s.startsWith('rm'))).toEqual([
      'sync group1-shard1of1-*.bin',
      'sync model.json.tmp',
      'sync tfjs',
      'rename model.json.tmp',
      'sync tfjs',
      'rm group1-shard1of1-*.bin',
    ]);
  });

  it('after a crash at any step', async () => {
    await failEachStep('tfjs-crash', 'tfjs', true);
  });
});

describe('saving into a directory', () => {
  it('twice, and over another model and format, leaves only the last save', async () => {
    const dir = join(root, 'again');
    await previousModel().save(dir);
    await nextModel().save(dir);
    const [weightsFile] = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')).weightsManifest[0].paths;
    expect(weightsFile).toMatch(/^weights-[0-9a-f]{16}\.bin$/);
    expect(await listing(dir)).toEqual(['model.json', weightsFile]);
    await previousModel().save(dir, { format: 'tfjs' });
    expect(await listing(dir)).toEqual([expect.stringMatching(/^group1-shard1of1-[0-9a-f]{8}\.bin$/), 'model.json']);
    await nextModel().save(dir);
    expectSameWeights(await ck.loadModel(dir), nextModel(), 'convkit over tfjs');
    expect(await listing(dir)).toHaveLength(2);
  });

  it('that holds a save from before the weights files had new names: loads it, and replaces it', async () => {
    const dir = join(root, 'legacy');
    await previousModel().save(dir);
    const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8'));
    const [weightsFile] = json.weightsManifest[0].paths;
    await writeFile(join(dir, 'weights.bin'), await readFile(join(dir, weightsFile)));
    await rm(join(dir, weightsFile));
    json.weightsManifest[0].paths = ['weights.bin'];
    await writeFile(join(dir, 'model.json'), JSON.stringify(json));
    expectSameWeights(await ck.loadModel(dir), previousModel(), 'weights.bin');

    await nextModel().save(dir);
    expect(await listing(dir)).toEqual(['model.json', expect.stringMatching(/^weights-[0-9a-f]{16}\.bin$/)]);
    expectSameWeights(await ck.loadModel(dir), nextModel(), 'replaced');
  });

  it('it creates, fsyncing the parents of the directories created', async () => {
    const { saveSteps } = await stepsOfSave(() => previousModel().save(join(root, 'new', 'deeper')));
    const parent = basename(root);
    expect(saveSteps.slice(0, 7)).toEqual([
      'mkdir deeper',
      'open new',
      'sync new',
      'close new',
      `open ${parent}`,
      `sync ${parent}`,
      `close ${parent}`,
    ]);
  });
});

describe('writeFileAtomic', () => {
  it('keeps the previous content when any step fails, leaves no temporary file, and fsyncs the directory after the rename', async () => {
    const dir = join(root, 'atomic');
    await mkdir(dir);
    const path = join(dir, 'file.txt');
    arm();
    await writeFileAtomic(path, 'first');
    disarm();
    const writeSteps = [...steps];
    expect(writeSteps).toEqual([
      'open file.txt.tmp',
      'writeFile file.txt.tmp',
      'sync file.txt.tmp',
      'close file.txt.tmp',
      'rename file.txt.tmp',
      'open atomic',
      'sync atomic',
      'close atomic',
    ]);
    const commit = writeSteps.indexOf('rename file.txt.tmp');
    for (const [index, step] of writeSteps.entries()) {
      await writeFileAtomic(path, 'old');
      const error = injectedError(step);
      arm({ failAt: index, error });
      await expect(writeFileAtomic(path, 'new'), step).rejects.toBe(error);
      disarm();
      expect(await readFile(path, 'utf8'), step).toBe(index <= commit ? 'old' : 'new');
      expect(await readdir(dir), step).toEqual(['file.txt']);
    }
  });
});
