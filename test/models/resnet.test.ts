// ck.models.resnet (lib/models/resnet.ts): the papers' and torchvision's parameter counts, the
// layer names transfer learning reaches for, and that a small one learns.
import { describe, expect, it } from 'vitest';
import * as ck from '../../lib';
import { blobImages } from '../helpers/data';

const trainableParams = (model: ck.Model) =>
  model
    .weightSpecs()
    .filter((w) => w.trainable)
    .reduce((sum, w) => sum + w.shape.reduce((a, b) => a * b, 1), 0);

describe('ck.models.resnet', () => {
  it.each([
    // torchvision's counts (its parameters are our trainable weights: batch norm statistics are buffers there).
    [18, 11_689_512],
    [50, 25_557_032],
  ])('ResNet-%i at 224x224x3 and 1000 classes has torchvision parameter count %i', (depth, count) => {
    const model = ck.models.resnet({ depth, seed: 1 });
    expect(model.inputShape).toEqual([224, 224, 3]);
    expect(model.outputShape).toEqual([1000]);
    expect(trainableParams(model)).toBe(count);
    model.dispose();
  });

  it("the CIFAR ResNet-20 has the paper's 0.27M parameters and 19 convolutions plus the classifier", () => {
    const model = ck.models.resnet({ depth: 20, seed: 1 });
    expect(model.inputShape).toEqual([32, 32, 3]);
    expect(Math.round(trainableParams(model) / 1e4) / 100).toBe(0.27);
    const convs = model.layers.filter((l) => l.className === 'Conv2D' && !l.name.includes('shortcut'));
    expect(convs).toHaveLength(19);
    expect(model.getLayer('stage3_block3_out').output.shape).toEqual([8, 8, 64]);
    expect(model.getLayer('stage2_block1_out').output.shape).toEqual([16, 16, 32]);
    model.dispose();
  });

  it('refuses a depth that is neither CIFAR (6n + 2) nor ImageNet', () => {
    expect(() => ck.models.resnet({ depth: 21 })).toThrow(/resnet depth must be 6n \+ 2/);
    expect(() => ck.models.resnet({} as ck.models.ResNetArgs)).toThrow(/resnet depth/);
  });

  it('a ResNet-8 learns to tell blobs apart', async () => {
    const model = ck.models.resnet({ depth: 8, inputShape: [8, 8, 1], classes: 4, seed: 3 });
    model.compile({ optimizer: 'adam', loss: 'sparseCategoricalCrossentropy', metrics: ['accuracy'] });
    const train = blobImages(256, 4, 6);
    const test = blobImages(64, 4, 7);
    await model.fit(train.x, train.y, { epochs: 10, batchSize: 32, verbose: 0 });
    expect((await model.evaluate(test.x, test.y)).accuracy).toBeGreaterThan(0.9);
    model.dispose();
  });
});
