// Residual networks (He et al., 2016) built with the functional API: the CIFAR ResNets of the
// paper's section 4.2 (depth 6n + 2: 20, 32, 44, 56, 110; three stages of 16, 32, 64 filters) and
// the ImageNet ResNets of its table 1 (18 and 34 with basic blocks, 50, 101 and 152 with
// bottlenecks), as torchvision writes them: convolutions without bias followed by batch
// normalization, a 1x1 convolution (with batch normalization) on the shortcut wherever the shape
// changes, global average pooling and a softmax classifier.
import { model } from '../engine/functional';
import type { Model } from '../engine/model';
import { optionsObject, positiveInt } from '../errors';
import * as layers from '../layers';
import { input, type SymbolicTensor } from '../layers/symbolic';

/** Options of `ck.models.resnet`. */
export interface ResNetArgs {
  /**
   * 20, 32, 44, 56 or 110 (any 6n + 2 from 8): a CIFAR ResNet; 18, 34, 50, 101 or 152: an
   * ImageNet ResNet (required).
   */
  depth: number;
  /** Per-sample input shape (default [32, 32, 3] for the CIFAR ResNets, [224, 224, 3] for the others). */
  inputShape?: number[];
  /** Number of classes of the softmax output (default 10 for the CIFAR ResNets, 1000 for the others). */
  classes?: number;
  /** Integer seed of the weight initializers (default: a random seed). */
  seed?: number;
}

const IMAGENET_BLOCKS: Record<number, { blocks: number[]; bottleneck: boolean }> = {
  18: { blocks: [2, 2, 2, 2], bottleneck: false },
  34: { blocks: [3, 4, 6, 3], bottleneck: false },
  50: { blocks: [3, 4, 6, 3], bottleneck: true },
  101: { blocks: [3, 4, 23, 3], bottleneck: true },
  152: { blocks: [3, 8, 36, 3], bottleneck: true },
};

/** Convolution (no bias) then batch normalization, with a ReLU unless `relu` is false. */
function convBn(x: SymbolicTensor, name: string, filters: number, kernelSize: number, strides: number, relu: boolean) {
  const conv = layers
    .conv2d({
      name: `${name}_conv`,
      filters,
      kernelSize,
      strides,
      padding: 'same',
      useBias: false,
      kernelInitializer: 'heNormal',
    })
    .apply(x);
  const bn = layers.batchNormalization({ name: `${name}_bn` }).apply(conv);
  return relu ? layers.activation({ name: `${name}_relu`, activation: 'relu' }).apply(bn) : bn;
}

/**
 * One residual block: two 3x3 convolutions (basic) or 1x1, 3x3, 1x1 with 4x the filters out
 * (bottleneck), added to the shortcut, then a ReLU. The layer named `${name}_out` is its output.
 */
function block(x: SymbolicTensor, name: string, filters: number, strides: number, bottleneck: boolean): SymbolicTensor {
  const outChannels = bottleneck ? 4 * filters : filters;
  let y: SymbolicTensor;
  if (bottleneck) {
    y = convBn(x, `${name}_1`, filters, 1, 1, true);
    y = convBn(y, `${name}_2`, filters, 3, strides, true);
    y = convBn(y, `${name}_3`, outChannels, 1, 1, false);
  } else {
    y = convBn(x, `${name}_1`, filters, 3, strides, true);
    y = convBn(y, `${name}_2`, filters, 3, 1, false);
  }
  const inChannels = x.shape[x.shape.length - 1];
  const shortcut =
    strides === 1 && inChannels === outChannels ? x : convBn(x, `${name}_shortcut`, outChannels, 1, strides, false);
  const sum = layers.add({ name: `${name}_add` }).apply([shortcut, y]);
  return layers.activation({ name: `${name}_out`, activation: 'relu' }).apply(sum);
}

/**
 * A residual network (He et al., 2016). CIFAR depths (6n + 2) take [32, 32, 3] and give 10 classes
 * by default; ImageNet depths (18, 34, 50, 101, 152) take [224, 224, 3] and give 1000, with
 * torchvision's parameter counts (ResNet-18: 11,689,512 trainable, ResNet-50: 25,557,032). Layers
 * are named by stage and block (`stage2_block1_out` is the first block of the second stage), for
 * `getLayer` and transfer learning.
 * @throws {RangeError} for a depth that is neither.
 * @example
 * ```ts
 * import * as ck from 'convkit';
 * const model = ck.models.resnet({ depth: 20, inputShape: [28, 28, 1] });
 * model.compile({ optimizer: ck.optimizers.sgd({ learningRate: 0.1, momentum: 0.9 }), loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
 * ```
 */
export function resnet(args: ResNetArgs): Model {
  const options = optionsObject(args, 'resnet');
  const depth = positiveInt(options.depth, 'resnet depth');
  const imagenet = IMAGENET_BLOCKS[depth];
  const cifar = imagenet === undefined && depth >= 8 && (depth - 2) % 6 === 0;
  if (!imagenet && !cifar) {
    throw new RangeError(
      `resnet depth must be 6n + 2 (20, 32, 44, 56, 110: CIFAR) or 18, 34, 50, 101, 152 (ImageNet), got ${depth}`,
    );
  }
  const inputShape = options.inputShape ?? (cifar ? [32, 32, 3] : [224, 224, 3]);
  const classes = options.classes ?? (cifar ? 10 : 1000);
  const x = input({ shape: inputShape, name: 'image' });
  let h: SymbolicTensor;
  if (cifar) {
    const perStage = (depth - 2) / 6;
    h = convBn(x, 'stem', 16, 3, 1, true);
    [16, 32, 64].forEach((filters, stage) => {
      for (let b = 0; b < perStage; b++)
        h = block(h, `stage${stage + 1}_block${b + 1}`, filters, stage > 0 && b === 0 ? 2 : 1, false);
    });
  } else {
    h = convBn(x, 'stem', 64, 7, 2, true);
    h = layers.maxPooling2d({ name: 'stem_pool', poolSize: 3, strides: 2, padding: 'same' }).apply(h);
    imagenet.blocks.forEach((count, stage) => {
      const filters = 64 * 2 ** stage;
      for (let b = 0; b < count; b++) {
        h = block(h, `stage${stage + 1}_block${b + 1}`, filters, stage > 0 && b === 0 ? 2 : 1, imagenet.bottleneck);
      }
    });
  }
  const pooled = layers.globalAveragePooling2d({ name: 'pool' }).apply(h);
  const out = layers
    .dense({ name: 'predictions', units: positiveInt(classes, 'resnet classes'), activation: 'softmax' })
    .apply(pooled);
  return model({ inputs: x, outputs: out, name: `resnet${depth}`, seed: options.seed });
}
