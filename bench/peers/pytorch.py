"""PyTorch's side of the benchmark, run by bench/peers/pytorch.mjs (never directly):

    python3 pytorch.py JOB.json RESULT.json

JOB.json names the task (train, check or infer), the thread count, the timing settings of
bench/lib/measure.mjs and the arrays to use, each a raw little-endian file with its shape (Keras
layouts: NHWC images, HWIO conv kernels, [in, out] dense kernels). The result goes to RESULT.json.
Timing follows measure.mjs's measureThroughput and measureLatency step for step, so the figures
compare with the Node peers'. Exits with NO_TORCH_EXIT when torch cannot be imported."""
import json
import math
import statistics
import sys
import time

NO_TORCH_EXIT = 3


def exit_with_parent():
    """Dies with the Node peer (which is SIGKILLed on a timeout) instead of running on, orphaned."""
    if sys.platform.startswith('linux'):
        import ctypes
        import signal
        PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


exit_with_parent()
try:
    import torch
    from torch import nn
except ImportError:
    sys.exit(NO_TORCH_EXIT)


def load_array(spec):
    """One array from its raw file: { file, shape, dtype: float32 | int32 }."""
    dtype = {'float32': torch.float32, 'int32': torch.int32}[spec['dtype']]
    with open(spec['file'], 'rb') as f:
        data = bytearray(f.read())
    return torch.frombuffer(data, dtype=dtype).reshape(spec['shape'])


def nhwc_to_nchw(images):
    return images.permute(0, 3, 1, 2).contiguous()


def keras_mnist_features():
    return nn.Sequential(
        nn.Conv2d(1, 32, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(64, 64, 3), nn.ReLU())


def keras_mnist(features, *head):
    """The Keras-book convnet: `features`, flatten, dense 64 relu, dense 10, then `head`."""
    return nn.Sequential(features, nn.Flatten(), nn.Linear(576, 64), nn.ReLU(), nn.Linear(64, 10), *head)


def set_keras_weights(model, weights, image_shape):
    """Copies Keras-layout weights (kernel, bias per layer, in layer order) into `model`;
    `image_shape` is one input image's (height, width, channels)."""
    layers = [m for m in model.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    if len(weights) != 2 * len(layers):
        raise ValueError(f'expected {2 * len(layers)} weight arrays, got {len(weights)}')
    first_dense = next(i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear))
    with torch.no_grad():
        height, width, channels = image_shape
        c, h, w = model[0](torch.zeros(1, channels, height, width)).shape[1:]
        for i, (layer, kernel, bias) in enumerate(zip(layers, weights[0::2], weights[1::2])):
            if isinstance(layer, nn.Conv2d):
                layer.weight.copy_(kernel.permute(3, 2, 0, 1))  # HWIO -> OIHW
            else:
                if i == first_dense:
                    # Keras flattens the last feature map in HWC order, PyTorch in CHW order.
                    kernel = kernel.reshape(h, w, c, -1).permute(2, 0, 1, 3).reshape(c * h * w, -1)
                layer.weight.copy_(kernel.t())  # [in, out] -> [out, in]
            layer.bias.copy_(bias)


def median(values):
    return statistics.median(values)


def quantile(values, q):
    """Nearest rank, as measure.mjs's quantile."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def measure_throughput(step, units_per_step, options):
    """measure.mjs's measureThroughput: warm-up, then runs of about runSeconds each; images/s."""
    warmup_times = []
    warmup_start = time.perf_counter()
    while True:
        start = time.perf_counter()
        step()
        warmup_times.append(time.perf_counter() - start)
        if time.perf_counter() - warmup_start >= options['warmupSeconds']:
            break
    estimate = median(warmup_times[1:] if len(warmup_times) > 1 else warmup_times)
    steps_per_run = max(1, round(options['runSeconds'] / estimate))
    run_count = options['slowRuns'] if estimate > options['slowStepSeconds'] else options['runs']
    rates = []
    for _ in range(run_count):
        start = time.perf_counter()
        for _ in range(steps_per_run):
            step()
        rates.append(units_per_step * steps_per_run / (time.perf_counter() - start))
    return {'median': median(rates), 'min': min(rates), 'max': max(rates), 'runs': len(rates),
            'stepsPerRun': steps_per_run, 'warmupSteps': len(warmup_times), 'rates': rates}


def measure_latency(call, options):
    """measure.mjs's measureLatency: ms per call, median and p99."""
    warmup_times = []
    for _ in range(options['warmupCalls']):
        start = time.perf_counter()
        call()
        warmup_times.append(time.perf_counter() - start)
    estimate = median(warmup_times[len(warmup_times) >> 1:])
    calls = min(options['maxCalls'], max(options['minCalls'], math.floor(options['budgetSeconds'] / estimate)))
    times = []
    for _ in range(calls):
        start = time.perf_counter()
        call()
        times.append((time.perf_counter() - start) * 1e3)
    return {'median': median(times), 'p99': quantile(times, 0.99), 'min': min(times), 'max': max(times), 'calls': calls}


def train(job):
    torch.manual_seed(1)
    model = keras_mnist(keras_mnist_features())
    optimizer = torch.optim.RMSprop(model.parameters(), lr=1e-3, alpha=0.9, eps=1e-7)
    loss_fn = nn.CrossEntropyLoss()  # softmax cross-entropy from the logits
    measures = {}
    for entry in job['batches']:
        x = nhwc_to_nchw(load_array(entry['images']))
        y = load_array(entry['labels']).long()

        def step():
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            optimizer.step()
            return loss.item()  # trainOnBatch returns the loss too

        measures[f"train.b{entry['batch']}"] = measure_throughput(step, entry['batch'], job['throughput'])
    return {'measures': measures}


def inference_model(job):
    model = keras_mnist(keras_mnist_features(), nn.Softmax(dim=1))
    set_keras_weights(model, [load_array(w) for w in job['weights']], job['imageShape'])
    return model.eval()


def check(job):
    model = inference_model(job)
    with torch.no_grad():
        outputs = model(nhwc_to_nchw(load_array(job['check'])))
    return {'outputs': outputs.flatten().tolist()}


def infer(job):
    model = inference_model(job)
    x1 = nhwc_to_nchw(load_array(job['one']))
    x_many = nhwc_to_nchw(load_array(job['many']))
    with torch.no_grad():
        return {'measures': {
            'infer.b1.sync': measure_latency(lambda: model(x1), job['latency']),
            'infer.throughput': measure_throughput(lambda: model(x_many), x_many.shape[0], job['throughput']),
        }}


def main():
    job_path, result_path = sys.argv[1:3]
    with open(job_path) as f:
        job = json.load(f)
    torch.set_num_threads(job['threads'])
    result = {'check': check, 'train': train, 'infer': infer}[job['task']](job)
    result.update(version=torch.__version__, threads=torch.get_num_threads(), cpuSeconds=time.process_time())
    with open(result_path, 'w') as f:
        json.dump(result, f)


if __name__ == '__main__':
    main()
