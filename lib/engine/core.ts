// What a model's calls share beneath the Sequential class: the layer plan and native network it
// builds, the compile settings, the count of training steps, and the gates on concurrent calls
// (one training at a time, no compile while training or evaluating, a network freed only once no
// call still uses it). Sequential owns one ModelCore and hands it to its training loop
// (training.ts) and inference (inference.ts), which need no more of the model than this.
import { shapeOption } from '../errors';
import { initialize } from '../initializers';
import type { Layer, WeightSpec } from '../layers/base';
import type { LossName } from '../losses';
import { createNetwork, type NativeNetwork } from '../native/network';
import type { Optimizer } from '../optimizers';
import { Random } from '../random';
import { shapeSize, type Shape } from '../tensor';
import { classAxis, type BatchStager } from './data';

/** Per layer: its input and output shapes and weight specs. */
export type LayerPlan = { layer: Layer; inputShape: Shape; outputShape: Shape; weights: WeightSpec[] }[];

export interface Built {
  inputShape: Shape;
  outputShape: Shape;
  layers: LayerPlan;
  network: NativeNetwork;
}

/** What compile() set. */
export interface Compiled {
  loss: LossName;
  optimizer: Optimizer;
  metrics: string[];
}

/**
 * Every layer's shapes and weights for a per-sample input shape, checked but not allocated (so
 * loadModel can compare a file's claims with the architecture before building anything).
 */
export function planLayers(layers: Layer[], inputShape: unknown): { layers: LayerPlan; outputShape: Shape } {
  let shape: Shape = shapeOption(inputShape, 'build inputShape');
  if (layers.length === 0) throw new RangeError('the model has no layers');
  shapeSize(shape, 'build inputShape');
  const plan: LayerPlan = [];
  for (const layer of layers) {
    const outputShape = layer.computeOutputShape(shape);
    const weights = layer.weightSpecs(shape);
    // Sizes past 2^53 would lose precision before the native side could check them.
    const owner = `${layer.className} '${layer.name}'`;
    shapeSize(outputShape, `${owner} output shape`);
    for (const weight of weights) shapeSize(weight.shape, `${owner} ${weight.name} shape`);
    plan.push({ layer, inputShape: shape, outputShape, weights });
    shape = outputShape;
  }
  return { layers: plan, outputShape: shape };
}

export class ModelCore {
  private built: Built | null = null;
  compiled: Compiled | null = null;
  /** Training steps taken since compile: the optimizer's learning-rate schedule reads it. */
  step = 0;
  /** A fit or trainOnBatch is under way (they run one at a time). */
  fitting = false;
  /** evaluate calls under way. */
  evaluating = 0;
  /** trainOnBatch's copy of the batch, reused across calls (only one training step runs at a time). */
  onBatchStager: BatchStager | null = null;
  private isDisposed = false;
  /** fit, evaluate, predict and trainOnBatch calls under way: networks they use are freed after them. */
  private running = 0;
  private retired: NativeNetwork[] = [];

  /** `layers` is the model's own array (add() appends to it); `seed` seeds the weight initializers. */
  constructor(readonly layers: Layer[], private readonly seed: number) {}

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Creates the native network and initializes the weights for a per-sample input shape. */
  build(inputShape: Shape): void {
    this.requireLive();
    const { layers, outputShape } = planLayers(this.layers, inputShape);
    this.releaseNetwork();
    const network = createNetwork(layers.map(({ layer, inputShape: s }) => ({ ...layer.nativeSpec(s), trainable: layer.trainable })));
    this.built = { inputShape: layers[0].inputShape, outputShape, layers, network };
    const random = new Random(this.seed);
    network.setWeights(layers.flatMap(({ weights }) => weights.map((w) => initialize(w.initializer, w.shape, random.seed()))));
    if (this.compiled) this.compileNetwork(this.built);
  }

  /** Lets go of the native network (on rebuild or dispose), freeing it now rather than at garbage collection. */
  releaseNetwork(): void {
    if (this.built) this.retired.push(this.built.network);
    this.built = null;
    this.freeRetired();
  }

  /** Frees the networks let go of, once no call under way can still be using them. */
  private freeRetired(): void {
    if (this.running > 0) return;
    for (const network of this.retired) network.dispose();
    this.retired = [];
  }

  /** Starts a call that uses the network, counted in `running`; leave() ends it. */
  enter(): void {
    this.running += 1;
  }

  /** Ends a call counted in `running`. */
  leave(): void {
    this.running -= 1;
    this.freeRetired();
  }

  /** Marks the model disposed and lets go of its network. */
  dispose(): void {
    this.isDisposed = true;
    this.releaseNetwork();
  }

  requireLive(): void {
    if (this.isDisposed) throw new RangeError(`the model was disposed (model.dispose()) and can no longer be used`);
  }

  requireBuilt(): Built {
    this.requireLive();
    if (this.built) return this.built;
    const first = this.layers[0];
    if (first?.inputShape) {
      this.build(first.inputShape);
      return this.built!;
    }
    throw new RangeError('the model is not built: give the first layer an inputShape, or call build(inputShape)');
  }

  /** Sets the compile settings and starts the optimizer afresh (the caller checked them). */
  compile(compiled: Compiled): void {
    this.compiled = compiled;
    this.step = 0;
    if (this.built) this.compileNetwork(this.built);
  }

  private compileNetwork({ network, outputShape }: Built): void {
    const { loss, optimizer } = this.compiled!;
    network.compile({ loss, classes: classAxis(outputShape).classes, optimizer: optimizer.nativeSpec() });
  }

  requireCompiled(what: string): Compiled {
    if (!this.compiled) throw new RangeError(`${what}: the model must be compiled first (model.compile({ optimizer, loss }))`);
    return this.compiled;
  }

  reportsAccuracy(): boolean {
    return this.compiled?.metrics.includes('accuracy') ?? false;
  }

  /** The layer of that name; a RangeError listing the names when there is none. */
  getLayer(name: string): Layer {
    const layer = this.layers.find((l) => l.name === name);
    if (!layer) throw new RangeError(`no layer named '${name}' (layers: ${this.layers.map((l) => l.name).join(', ')})`);
    return layer;
  }
}
