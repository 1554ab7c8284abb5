// TensorFlow.js models and their files, written the way tfjs itself writes them. Pure @tensorflow/tfjs
// has no file:// handler (that is tfjs-node's), so saving goes through tf.io.withSaveHandler and
// the files are laid out exactly as tfjs-node's NodeFileSystem.save does, or as
// tensorflowjs_converter does (several groups of shards); loading our files back into tfjs goes
// through tf.io.getModelArtifactsForJSON, as tfjs's own http and file handlers do.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { rng } from './random';

await tf.setBackend('cpu');

export { tf };

/** The artifacts model.save() hands to an IO handler. */
export async function artifactsOf(model: tf.LayersModel): Promise<tf.io.ModelArtifacts> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      saved = artifacts;
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
  return saved!;
}

/** What tfjs-node's model.save('file://dir') writes: model.json and one weights.bin. */
export async function saveLikeTfjsNode(model: tf.LayersModel, dir: string): Promise<void> {
  const artifacts = await artifactsOf(model);
  const modelJson: tf.io.ModelJSON = {
    modelTopology: artifacts.modelTopology as object,
    weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs! }],
    format: artifacts.format,
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy,
  };
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson), 'utf8');
  await writeFile(join(dir, 'weights.bin'), Buffer.from(artifacts.weightData as ArrayBuffer));
}

/**
 * The layout tensorflowjs_converter writes: modelTopology wrapped as { keras_version, backend,
 * model_config }, and the weights in groups (here: the given lists of weight names, in that order),
 * each group's bytes cut into `shardsPerGroup` files named groupG-shardSofN.bin.
 */
export async function saveLikeConverter(
  model: tf.LayersModel,
  dir: string,
  groups: string[][],
  shardsPerGroup: number,
): Promise<void> {
  const artifacts = await artifactsOf(model);
  const specs = artifacts.weightSpecs!;
  const bytes = new Uint8Array(artifacts.weightData as ArrayBuffer);
  const offsets = new Map<string, { start: number; end: number }>();
  let offset = 0;
  for (const spec of specs) {
    const size = spec.shape.reduce((a, b) => a * b, 1) * 4;
    offsets.set(spec.name, { start: offset, end: offset + size });
    offset += size;
  }
  await mkdir(dir, { recursive: true });
  const manifest: tf.io.WeightsManifestConfig = [];
  for (const [g, names] of groups.entries()) {
    const groupBytes = Buffer.concat(
      names.map((name) => bytes.subarray(offsets.get(name)!.start, offsets.get(name)!.end)),
    );
    const cut = Math.ceil(groupBytes.length / shardsPerGroup);
    const paths: string[] = [];
    for (let s = 0; s < shardsPerGroup; s++) {
      const path = `group${g + 1}-shard${s + 1}of${shardsPerGroup}.bin`;
      await writeFile(join(dir, path), groupBytes.subarray(s * cut, (s + 1) * cut));
      paths.push(path);
    }
    manifest.push({ paths, weights: names.map((name) => specs.find((s) => s.name === name)!) });
  }
  const { keras_version: _, backend: __, ...modelConfig } = artifacts.modelTopology as Record<string, unknown>;
  const modelJson = {
    format: 'layers-model',
    generatedBy: 'keras v2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: { keras_version: '2.15.0', backend: 'tensorflow', model_config: modelConfig },
    weightsManifest: manifest,
  };
  await writeFile(join(dir, 'model.json'), JSON.stringify(modelJson), 'utf8');
}

/** An IO handler that reads a model.json and its shards from disk, for tf.loadLayersModel. */
export function fileHandler(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const modelJson = JSON.parse(await readFile(jsonPath, 'utf8')) as tf.io.ModelJSON;
      return tf.io.getModelArtifactsForJSON(modelJson, async (manifest) => {
        const buffers: Buffer[] = [];
        for (const group of manifest)
          for (const path of group.paths) buffers.push(await readFile(join(dirname(jsonPath), path)));
        const all = Buffer.concat(buffers);
        return [
          manifest.flatMap((group) => group.weights),
          all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength),
        ];
      });
    },
  };
}

/** Gives every weight seeded random values (variances positive), so no test passes on initializer luck. */
export function randomizeWeights(model: tf.LayersModel, seed: number): void {
  const random = rng(seed);
  model.setWeights(
    model.weights.map((w) => {
      const size = w.shape.reduce((a, b) => a! * b!, 1)!;
      const positive = w.name.includes('variance') || w.name.includes('gamma');
      const values = Float32Array.from({ length: size }, () => (positive ? 0.5 + random() : 2 * random() - 1));
      return tf.tensor(values, w.shape as number[]);
    }),
  );
}

/** tfjs's prediction for x as a flat array. */
export function tfjsPredict(model: tf.LayersModel, x: Float32Array, shape: number[]): Float32Array {
  return tf.tidy(() => (model.predict(tf.tensor(x, shape)) as tf.Tensor).dataSync() as Float32Array);
}
