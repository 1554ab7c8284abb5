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

/**
 * Per layer: the layers it reads (by index, -1 for the model's input), their output shapes
 * (inputShape: the first's), its output shape and weight specs.
 */
export type LayerPlan = {
  layer: Layer;
  inputs: number[];
  inputShapes: Shape[];
  inputShape: Shape;
  outputShape: Shape;
  weights: WeightSpec[];
}[];

export interface Built {
  inputShape: Shape;
  /** Each layer's trainable flag when the network was made (compile remakes it when one changed). */
  trainable: boolean[];
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
 * `inbound[i]` lists the layers layers[i] reads (-1: the input); null chains them in order.
 */
export function planLayers(
  layers: Layer[],
  inputShape: unknown,
  inbound: number[][] | null = null,
): { layers: LayerPlan; outputShape: Shape } {
  const modelInput: Shape = shapeOption(inputShape, 'build inputShape');
  if (layers.length === 0) throw new RangeError('the model has no layers');
  shapeSize(modelInput, 'build inputShape');
  const plan: LayerPlan = [];
  layers.forEach((layer, index) => {
    const inputs = inbound ? inbound[index] : [index - 1];
    const inputShapes = inputs.map((i) => (i < 0 ? modelInput : plan[i].outputShape));
    const outputShape = layer.outputShapeFor(inputShapes);
    const weights = layer.weightSpecs(inputShapes[0]);
    // Sizes past 2^53 would lose precision before the native side could check them.
    const owner = `${layer.className} '${layer.name}'`;
    shapeSize(outputShape, `${owner} output shape`);
    for (const weight of weights) shapeSize(weight.shape, `${owner} ${weight.name} shape`);
    plan.push({ layer, inputs, inputShapes, inputShape: inputShapes[0], outputShape, weights });
  });
  return { layers: plan, outputShape: plan[plan.length - 1].outputShape };
}

/** The model each layer was last built into: where a new model made of it finds its weights. */
const lastBuiltWith = new WeakMap<Layer, ModelCore>();

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
  /** The input's shape when the model declares it (ck.input), else the first layer's inputShape. */
  declaredInputShape: Shape | null = null;
  private isDisposed = false;
  /** fit, evaluate, predict and trainOnBatch calls under way: networks they use are freed after them. */
  private running = 0;
  private retired: NativeNetwork[] = [];

  /**
   * `layers` is the model's own array (Sequential.add() appends to it); `seed` seeds the weight
   * initializers; `inbound` connects the layers (see planLayers; null: a chain).
   */
  constructor(
    readonly layers: Layer[],
    private readonly seed: number,
    readonly inbound: number[][] | null = null,
  ) {}

  get disposed(): boolean {
    return this.isDisposed;
  }

  /** Creates the native network and initializes the weights for a per-sample input shape. */
  build(inputShape: Shape): void {
    this.requireLive();
    const { layers, outputShape } = planLayers(this.layers, inputShape, this.inbound);
    this.releaseNetwork();
    const network = createNetwork(
      layers.map(({ layer, inputs, inputShapes }) => ({
        ...layer.nativeSpecFor(inputShapes),
        trainable: layer.trainable,
        ...(this.inbound ? { inputs } : {}),
      })),
    );
    this.built = {
      inputShape: shapeOption(inputShape, 'build inputShape'),
      trainable: this.layers.map((l) => l.trainable),
      outputShape,
      layers,
      network,
    };
    const random = new Random(this.seed);
    const initial = layers.flatMap(({ weights }) =>
      weights.map((w) => initialize(w.initializer, w.shape, random.seed())),
    );
    this.carryOverWeights(layers, initial);
    network.setWeights(initial);
    for (const { layer } of layers) lastBuiltWith.set(layer, this);
    if (this.compiled) this.compileNetwork(this.built);
  }

  /**
   * Transfer learning: a layer that another live model was built with brings that model's current
   * weights for it into `initial` (when their shapes agree), so a model made from a trained model's
   * layers (ck.model({ inputs: base.inputs, outputs: ... })) starts from what they learned. Copied,
   * not shared: training one model afterwards leaves the other as it is.
   */
  private carryOverWeights(layers: LayerPlan, initial: Float32Array[]): void {
    // Each source model's weights are read once (a copy of all of them), however many layers it gives.
    const snapshots = new Map<ModelCore, Map<Layer, Float32Array[]> | null>();
    let offset = 0;
    for (const { layer, weights } of layers) {
      const source = lastBuiltWith.get(layer);
      if (source && source !== this && !snapshots.has(source)) snapshots.set(source, source.weightsByLayer());
      const values = source && source !== this ? snapshots.get(source)?.get(layer) : undefined;
      if (values?.length === weights.length && values.every((v, i) => v.length === initial[offset + i].length)) {
        values.forEach((v, i) => {
          initial[offset + i] = v;
        });
      }
      offset += weights.length;
    }
  }

  /** Copies of every layer's current weights, or null when not built (or a training step holds them). */
  private weightsByLayer(): Map<Layer, Float32Array[]> | null {
    if (this.isDisposed || !this.built) return null;
    let all: Float32Array[];
    try {
      all = this.built.network.getWeights();
    } catch {
      return null; // a training step holds the weights: the layers start from their initializers
    }
    const byLayer = new Map<Layer, Float32Array[]>();
    let offset = 0;
    for (const { layer, weights } of this.built.layers) {
      byLayer.set(layer, all.slice(offset, offset + weights.length));
      offset += weights.length;
    }
    return byLayer;
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
    const shape = this.declaredInputShape ?? this.layers[0]?.inputShape;
    if (shape) {
      this.build(shape);
      return this.built!;
    }
    throw new RangeError('the model is not built: give the first layer an inputShape, or call build(inputShape)');
  }

  /** Sets the compile settings and starts the optimizer afresh (the caller checked them). */
  compile(compiled: Compiled): void {
    this.compiled = compiled;
    this.step = 0;
    const built = this.built;
    if (built && this.layers.some((layer, i) => layer.trainable !== built.trainable[i])) {
      // A layer was frozen or unfrozen since the network was made: remake it, keeping the weights.
      const weights = built.network.getWeights();
      this.build(built.inputShape);
      this.built!.network.setWeights(weights);
      return;
    }
    if (this.built) this.compileNetwork(this.built);
  }

  private compileNetwork({ network, outputShape }: Built): void {
    const { loss, optimizer } = this.compiled!;
    network.compile({ loss, classes: classAxis(outputShape).classes, optimizer: optimizer.nativeSpec() });
  }

  requireCompiled(what: string): Compiled {
    if (!this.compiled)
      throw new RangeError(`${what}: the model must be compiled first (model.compile({ optimizer, loss }))`);
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
