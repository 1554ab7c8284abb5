#!/usr/bin/python3
"""A PyTorch reference for convkit's kerasMnist recipe, written to Keras's semantics.

What it checks: whether convkit trains kerasMnist (conv32-pool-conv64-pool-conv64-flatten-dense64-
dense10) exactly as Keras does: NHWC data, Keras weight layouts (conv kernel [kh, kw, in, out],
dense kernel [in, out]; the weights are held in those layouts and converted inside the forward
pass), Flatten in NHWC order, loss = mean over the batch of -log softmax, and Keras's RMSprop
written by hand (v = rho*v + (1-rho)*g^2; w -= lr*g/sqrt(v + eps), rho 0.9, eps 1e-7, lr 1e-3).
It reads Fashion-MNIST from the IDX files itself (pixels / 255), independently of convkit.

  compare   replays what scripts/reference/convkit-steps.mjs recorded (same initial weights, same
            batches) in float32 and float64 and prints: batch-0 softmax outputs and gradients at the
            initial weights, per-step losses, and how far the weights have drifted from the float64
            run after 1, 2, 5, 10, ... steps, for convkit and for torch float32 (the float32 noise
            level: training is chaotic, so any two float32 runs drift apart; a bug drifts faster),
            and recomputes convkit's test loss and accuracy from its final weights.
  train     the full recipe from a Keras glorot-uniform init (zero biases): 5 epochs, batch 64
            (last batch partial, 937 x 64 + 32), the 60k training images reshuffled each epoch
            (as Keras's fit with shuffle=True), then accuracy on the 10k test images.

Run it with Debian's python3 (torch 1.13), on one thread, at low priority (compare: about 4 minutes
for 300 steps, mostly the float64 run; train: about 4.5 minutes a seed):
  CONVKIT_NUM_THREADS=1 nice -n 19 node scripts/reference/convkit-steps.mjs --seed 1 --steps 300
  nice -n 19 /usr/bin/python3 scripts/reference/keras_reference.py compare --dir /tmp/convkit-reference
  nice -n 19 /usr/bin/python3 scripts/reference/keras_reference.py train --seed 1
"""
import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn.functional as F

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA_DIR = os.path.join(REPO, 'data', 'fashion-mnist')

# kerasMnist's weights in Keras's order and layouts (getWeights() order).
SHAPES = [
    (3, 3, 1, 32), (32,),
    (3, 3, 32, 64), (64,),
    (3, 3, 64, 64), (64,),
    (576, 64), (64,),
    (64, 10), (10,),
]
RHO, EPSILON, LEARNING_RATE = 0.9, 1e-7, 1e-3


def load_idx(path):
    with gzip.open(path, 'rb') as f:
        raw = f.read()
    if raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise ValueError(f'{path}: not an unsigned-byte IDX file')
    rank = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i:8 + 4 * i], 'big') for i in range(rank)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * rank).reshape(dims)


def fashion_mnist(split):
    prefix = 'train' if split == 'train' else 't10k'
    images = load_idx(os.path.join(DATA_DIR, f'{prefix}-images-idx3-ubyte.gz'))
    labels = load_idx(os.path.join(DATA_DIR, f'{prefix}-labels-idx1-ubyte.gz'))
    x = torch.from_numpy(images.astype(np.float32) / np.float32(255)).reshape(-1, 28, 28, 1)
    return x, torch.from_numpy(labels.astype(np.int64))


def logits_of(weights, x_nhwc):
    """kerasMnist's forward pass up to the last dense layer's pre-softmax output."""
    k1, b1, k2, b2, k3, b3, w4, b4, w5, b5 = weights
    to_torch = lambda kernel: kernel.permute(3, 2, 0, 1)  # [kh, kw, in, out] -> [out, in, kh, kw]
    h = x_nhwc.permute(0, 3, 1, 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, to_torch(k1), b1)), 2)
    h = F.max_pool2d(F.relu(F.conv2d(h, to_torch(k2), b2)), 2)
    h = F.relu(F.conv2d(h, to_torch(k3), b3))
    h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)  # Keras's Flatten: NHWC order
    h = F.relu(h @ w4 + b4)
    return h @ w5 + b5


def mean_loss(weights, x, y):
    return F.cross_entropy(logits_of(weights, x), y)  # mean over the batch of -log softmax


def rmsprop_step(weights, velocities, x, y):
    for w in weights:
        w.grad = None
    loss = mean_loss(weights, x, y)
    loss.backward()
    with torch.no_grad():
        for w, v in zip(weights, velocities):
            g = w.grad
            v.mul_(RHO).add_((1 - RHO) * g * g)
            w.sub_(LEARNING_RATE * g / torch.sqrt(v + EPSILON))
    return loss.item()


def split_flat(flat, dtype):
    tensors, offset = [], 0
    for shape in SHAPES:
        size = math.prod(shape)
        tensors.append(torch.tensor(flat[offset:offset + size], dtype=dtype).reshape(shape))
        offset += size
    if offset != flat.size:
        raise ValueError(f'expected {offset} values, got {flat.size}')
    return tensors


def trainable(tensors):
    return [t.clone().requires_grad_(True) for t in tensors]


def diff_report(label, names, ours, theirs):
    """Per weight: max |difference| and that relative to the weight's largest magnitude."""
    print(f'  {label}:')
    for name, a, b in zip(names, ours, theirs):
        a, b = a.detach().double(), b.detach().double()
        abs_diff = (a - b).abs().max().item()
        relative = abs_diff / max(b.abs().max().item(), 1e-30)
        print(f'    {name:24s} max|diff| {abs_diff:.3e}  relative {relative:.3e}')


def compare(directory):
    meta = json.load(open(os.path.join(directory, 'meta.json')))
    if [tuple(w['shape']) for w in meta['weights']] != SHAPES:
        raise ValueError('meta.json describes another architecture than kerasMnist')
    names = [w['name'] for w in meta['weights']]
    read = lambda name: np.fromfile(os.path.join(directory, name), dtype=np.float32)
    order = torch.from_numpy(np.fromfile(os.path.join(directory, 'order.bin'), dtype=np.int32).astype(np.int64))
    steps, batch = meta['steps'], meta['batchSize']
    x_all, y_all = fashion_mnist('train')
    batches = [(x_all[order[k * batch:(k + 1) * batch]], y_all[order[k * batch:(k + 1) * batch]]) for k in range(steps)]
    init = read('init.bin')
    print(f"seed {meta['seed']}, {steps} steps of batch {batch}; convkit ran on {meta['threads']} thread(s), ISA {meta['isa']}")
    print(f"fit() vs trainOnBatch after {steps} steps, max |diff|: {meta['fitVersusTrainOnBatchMaxAbsDiff']}")

    # At the initial weights, in float64: the forward pass and the gradient of batch 0.
    weights64 = trainable(split_flat(init, torch.float64))
    x0, y0 = batches[0][0].double(), batches[0][1]
    loss0 = mean_loss(weights64, x0, y0)
    loss0.backward()
    probs = torch.softmax(logits_of(weights64, x0), dim=1).detach()
    probs_ck = torch.from_numpy(read('probs0.bin').astype(np.float64)).reshape(probs.shape)
    print(f'batch 0 at the initial weights: softmax max|diff| {(probs - probs_ck).abs().max().item():.3e} '
          f'(loss float64 {loss0.item():.7f}, convkit step-1 loss {meta["losses"][0]:.7f})')
    diff_report('gradient of batch 0, convkit (from one SGD step) vs float64',
                names, split_flat(read('grad0.bin'), torch.float64), [w.grad for w in weights64])

    # Whole runs: torch float32, torch float64, against convkit.
    checkpoints = meta['checkpoints']
    runs = {}
    for dtype in (torch.float32, torch.float64):
        weights = trainable(split_flat(init, dtype))
        velocities = [torch.zeros_like(w) for w in weights]
        losses, saved = [], {}
        started = time.time()
        for k, (x, y) in enumerate(batches, start=1):
            losses.append(rmsprop_step(weights, velocities, x.to(dtype), y))
            if k in checkpoints:
                saved[k] = [w.detach().clone() for w in weights]
        runs[dtype] = {'losses': np.array(losses), 'weights': saved, 'seconds': time.time() - started}
    ck_losses = np.array(meta['losses'])
    ck_weights = {k: split_flat(read(f'after-{k}.bin'), torch.float64) for k in checkpoints}
    f32, f64 = runs[torch.float32], runs[torch.float64]
    print(f'per-step losses (step 1 / step {steps}):')
    print(f"  convkit       {ck_losses[0]:.7f} / {ck_losses[-1]:.7f}   ({meta['trainOnBatchSeconds']:.1f} s)")
    print(f"  torch float32 {f32['losses'][0]:.7f} / {f32['losses'][-1]:.7f}   ({f32['seconds']:.1f} s)")
    print(f"  torch float64 {f64['losses'][0]:.7f} / {f64['losses'][-1]:.7f}   ({f64['seconds']:.1f} s)")
    print(f'  mean loss over the {steps} steps: convkit {ck_losses.mean():.5f}, float32 {f32["losses"].mean():.5f}, '
          f'float64 {f64["losses"].mean():.5f}')
    for label, a, b in (('convkit vs float64', ck_losses, f64['losses']), ('float32 vs float64', f32['losses'], f64['losses']),
                        ('convkit vs float32', ck_losses, f32['losses'])):
        d = np.abs(a - b)
        print(f'  {label:20s} max|loss diff| {d.max():.3e} (at step {d.argmax() + 1}), mean {d.mean():.3e}, '
              f'signed mean {(a - b).mean():+.3e}')

    print('drift of the weights from the float64 reference (max |diff| over all weights; worst per-weight '
          'relative = max|diff| / max|w|); loss |diff| at that step:')
    print(f'  {"step":>5s} | {"convkit vs f64":>26s} | {"torch f32 vs f64":>26s} | {"loss ck-f64":>11s} {"f32-f64":>10s}')
    for k in checkpoints:
        row = []
        for ours in (ck_weights[k], f32['weights'][k]):
            diffs = [(a.double() - b).abs().max().item() for a, b in zip(ours, f64['weights'][k])]
            scales = [b.abs().max().item() for b in f64['weights'][k]]
            row.append(f'{max(diffs):.2e} (rel {max(d / s for d, s in zip(diffs, scales)):.2e})')
        print(f'  {k:5d} | {row[0]:>26s} | {row[1]:>26s} | {abs(ck_losses[k - 1] - f64["losses"][k - 1]):11.2e} '
              f'{abs(f32["losses"][k - 1] - f64["losses"][k - 1]):10.2e}')
    x_test, y_test = fashion_mnist('test')
    with torch.no_grad():
        logits = logits_of(ck_weights[steps], x_test.double())
        test_loss = F.cross_entropy(logits, y_test).item()
        correct = (logits.argmax(1) == y_test).sum().item()
    print(f"convkit's weights after {steps} steps on the test set: evaluate() loss {meta['testLoss']:.7f}, accuracy "
          f"{meta['testAccuracy'] * 100:.2f}%; recomputed here in float64: loss {test_loss:.7f}, accuracy "
          f"{correct / y_test.numel() * 100:.2f}% ({correct} of {y_test.numel()})")
    diff_report('after one RMSprop step, convkit vs float64', names, ck_weights[1], f64['weights'][1])
    diff_report('after one RMSprop step, torch float32 vs float64', names, f32['weights'][1], f64['weights'][1])


def glorot_uniform(shape, generator):
    """Keras's GlorotUniform: U(-limit, limit), limit = sqrt(6 / (fan_in + fan_out)), Keras's fans."""
    receptive = math.prod(shape[:-2]) if len(shape) > 2 else 1
    fan_in, fan_out = shape[-2] * receptive, shape[-1] * receptive
    limit = math.sqrt(6 / (fan_in + fan_out))
    return (torch.rand(shape, generator=generator, dtype=torch.float64) * 2 - 1).mul_(limit).float()


def train(seed, epochs, batch_size):
    generator = torch.Generator().manual_seed(seed)
    weights = trainable([glorot_uniform(s, generator) if len(s) > 1 else torch.zeros(s) for s in SHAPES])
    velocities = [torch.zeros_like(w) for w in weights]
    x_train, y_train = fashion_mnist('train')
    x_test, y_test = fashion_mnist('test')
    n = x_train.shape[0]
    started = time.time()
    for epoch in range(epochs):
        order = torch.randperm(n, generator=generator)
        total = 0.0
        for start in range(0, n, batch_size):
            idx = order[start:start + batch_size]
            total += rmsprop_step(weights, velocities, x_train[idx], y_train[idx]) * idx.numel()
        print(f'epoch {epoch + 1}/{epochs}: loss {total / n:.4f} ({time.time() - started:.0f} s)', flush=True)
    train_seconds = time.time() - started
    with torch.no_grad():
        logits = torch.cat([logits_of(weights, x_test[i:i + 1000]) for i in range(0, x_test.shape[0], 1000)])
        test_loss = F.cross_entropy(logits, y_test).item()
        accuracy = (logits.argmax(1) == y_test).double().mean().item()
    print(json.dumps({'seed': seed, 'epochs': epochs, 'batchSize': batch_size, 'testLoss': round(test_loss, 4),
                      'testAccuracy': round(accuracy * 100, 2), 'trainSeconds': round(train_seconds, 1)}))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest='command', required=True)
    compare_args = sub.add_parser('compare', help='replay convkit-steps.mjs output and compare')
    compare_args.add_argument('--dir', default='/tmp/convkit-reference')
    train_args = sub.add_parser('train', help='the full recipe from a Keras glorot-uniform init')
    train_args.add_argument('--seed', type=int, default=1)
    train_args.add_argument('--epochs', type=int, default=5)
    train_args.add_argument('--batch-size', type=int, default=64)
    args = parser.parse_args()
    torch.set_num_threads(1)  # the machine is shared: never more than one core
    if args.command == 'compare':
        compare(args.dir)
    else:
        train(args.seed, args.epochs, args.batch_size)


if __name__ == '__main__':
    main()
