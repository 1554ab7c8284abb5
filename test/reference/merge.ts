// Plain float64 references of the merge layers (native/kernels/merge.cc), per sample.

export type MergeKind = 'add' | 'average' | 'maximum';

export function elementwiseMerge(kind: MergeKind, inputs: Float64Array[]): Float64Array {
  const out = new Float64Array(inputs[0].length);
  for (let i = 0; i < out.length; i++) {
    const values = inputs.map((input) => input[i]);
    if (kind === 'maximum') out[i] = Math.max(...values);
    else out[i] = values.reduce((a, b) => a + b, 0) / (kind === 'average' ? values.length : 1);
  }
  return out;
}

/** Product over [positions, channels]; a broadcast input has one value per channel. */
export function multiply(
  positions: number,
  channels: number,
  broadcast: boolean[],
  inputs: Float64Array[],
): Float64Array {
  const out = new Float64Array(positions * channels).fill(1);
  for (let p = 0; p < positions; p++) {
    for (let c = 0; c < channels; c++) {
      inputs.forEach((input, k) => {
        out[p * channels + c] *= broadcast[k] ? input[c] : input[p * channels + c];
      });
    }
  }
  return out;
}

/** Concatenation along the last axis at each of `positions`. */
export function concatenate(positions: number, channels: number[], inputs: Float64Array[]): Float64Array {
  const total = channels.reduce((a, b) => a + b, 0);
  const out = new Float64Array(positions * total);
  for (let p = 0; p < positions; p++) {
    let offset = p * total;
    inputs.forEach((input, k) => {
      for (let c = 0; c < channels[k]; c++) out[offset + c] = input[p * channels[k] + c];
      offset += channels[k];
    });
  }
  return out;
}
