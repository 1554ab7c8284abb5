// The layer kinds are listed twice, once per language: the NativeLayerSpec union in
// lib/native/network.ts and the AnyLayer variant in native/model/layer_spec.h. Each list must
// hold exactly the other's kinds, and every kind must build a network.
import { describe, expect, it } from 'vitest';
import { createNetwork, type NativeLayerSpec, nativeLayerKinds, registeredLayerKinds } from '../../lib/native/network';

// Fails to typecheck when the union gains a kind that nativeLayerKinds lacks.
type Unlisted = Exclude<NativeLayerSpec['kind'], (typeof nativeLayerKinds)[number]>;
const everyKindListed: [Unlisted] extends [never] ? true : false = true;

// One valid spec per kind, taking a 4x4x2 input (the merges read it twice).
const specs: { [K in NativeLayerSpec['kind']]: NativeLayerSpec & { kind: K } } = {
  conv2d: {
    kind: 'conv2d',
    inHeight: 4,
    inWidth: 4,
    inChannels: 2,
    outChannels: 3,
    kernelHeight: 3,
    kernelWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padding: 'same',
    useBias: true,
    activation: 'relu',
    alpha: 0,
  },
  depthwiseConv2d: {
    kind: 'depthwiseConv2d',
    inHeight: 4,
    inWidth: 4,
    inChannels: 2,
    depthMultiplier: 2,
    kernelHeight: 3,
    kernelWidth: 3,
    strideHeight: 1,
    strideWidth: 1,
    dilationHeight: 1,
    dilationWidth: 1,
    padding: 'same',
    useBias: true,
    activation: 'relu',
    alpha: 0,
  },
  separableConv2d: {
    kind: 'separableConv2d',
    inHeight: 4,
    inWidth: 4,
    inChannels: 2,
    depthMultiplier: 1,
    filters: 5,
    kernelHeight: 3,
    kernelWidth: 3,
    strideHeight: 2,
    strideWidth: 2,
    dilationHeight: 1,
    dilationWidth: 1,
    padding: 'same',
    useBias: true,
    activation: 'tanh',
    alpha: 0,
  },
  dense: { kind: 'dense', inFeatures: 32, units: 5, useBias: true, activation: 'softmax', alpha: 0 },
  maxPooling2d: {
    kind: 'maxPooling2d',
    inHeight: 4,
    inWidth: 4,
    channels: 2,
    poolHeight: 2,
    poolWidth: 2,
    strideHeight: 2,
    strideWidth: 2,
    padding: 'valid',
  },
  averagePooling2d: {
    kind: 'averagePooling2d',
    inHeight: 4,
    inWidth: 4,
    channels: 2,
    poolHeight: 2,
    poolWidth: 2,
    strideHeight: 2,
    strideWidth: 2,
    padding: 'valid',
  },
  globalAveragePooling2d: { kind: 'globalAveragePooling2d', height: 4, width: 4, channels: 2 },
  globalMaxPooling2d: { kind: 'globalMaxPooling2d', height: 4, width: 4, channels: 2 },
  reshape: { kind: 'reshape', size: 32 },
  dropout: { kind: 'dropout', size: 32, rate: 0.5 },
  batchNormalization: { kind: 'batchNormalization', size: 32, channels: 2, epsilon: 1e-3, momentum: 0.99 },
  activation: { kind: 'activation', size: 32, channels: 2, activation: 'tanh', alpha: 0 },
  maxout: { kind: 'maxout', size: 32, units: 1, pieces: 2 },
  prelu: { kind: 'prelu', size: 32, channels: 2 },
  add: { kind: 'add', size: 32, inputs: [-1, -1] },
  average: { kind: 'average', size: 32, inputs: [-1, -1] },
  maximum: { kind: 'maximum', size: 32, inputs: [-1, -1] },
  multiply: { kind: 'multiply', positions: 16, channels: 2, broadcast: [0, 0], inputs: [-1, -1] },
  concatenate: { kind: 'concatenate', positions: 16, channels: [2, 2], inputs: [-1, -1] },
};

describe('layer kinds', () => {
  it('are the same in TypeScript and in the native registry', () => {
    expect(everyKindListed).toBe(true);
    expect([...registeredLayerKinds].sort()).toEqual([...nativeLayerKinds].sort());
  });

  it.each(nativeLayerKinds)('%s builds a network with the sizes its spec implies', (kind) => {
    const network = createNetwork([specs[kind]]);
    expect(network.inputSize).toBe(32);
    const expectedOut: Record<string, number> = {
      conv2d: 48,
      depthwiseConv2d: 64,
      separableConv2d: 20,
      dense: 5,
      maxPooling2d: 8,
      averagePooling2d: 8,
      globalAveragePooling2d: 2,
      globalMaxPooling2d: 2,
      maxout: 16,
      concatenate: 64,
    };
    expect(network.outputSize).toBe(expectedOut[kind] ?? 32);
    network.dispose();
  });

  it('refuses a kind the registry does not hold, naming it', () => {
    expect(() => createNetwork([{ kind: 'conv3d', size: 4 } as unknown as NativeLayerSpec])).toThrow(
      /layers\[0\]\.kind 'conv3d' is not a layer kind/,
    );
  });
});
