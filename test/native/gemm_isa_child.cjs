// Child process of gemm_isa.test.ts: the ISA is chosen once per process, so each ISA under test
// gets a fresh Node process with CONVKIT_ISA set. Loads the addon at CONVKIT_ADDON, reads
// { cases: [{ m, n, k, alpha, beta, activation, activationAlpha, a, b, c, bias }] } (arrays as
// base64 float32, bias possibly null) from stdin, runs every
// case in all four transpose combinations (checking that B packed up front gives the same bits),
// and prints
// { isa, availableIsas, results: [[c for (transA, transB) = ff, ft, tf, tt], ...] }.
'use strict';
const { readFileSync } = require('node:fs');

const addon = require(process.env.CONVKIT_ADDON);

function decode(text) {
  const bytes = Buffer.from(text, 'base64');
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

function encode(values) {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

const { cases } = JSON.parse(readFileSync(0, 'utf8'));
const results = cases.map(({ m, n, k, alpha, beta, activation, activationAlpha, a, b, c, bias }) => {
  const [aValues, bValues, biasValues] = [decode(a), decode(b), bias && decode(bias)];
  const outputs = [];
  for (const transA of [false, true]) {
    for (const transB of [false, true]) {
      const params = { m, n, k, transA, transB, alpha, beta, activation, activationAlpha };
      const out = decode(c);
      addon.gemm(params, aValues, bValues, out, biasValues);
      // B packed once up front (as layers pack their weights) must give the very same bits.
      const outPacked = decode(c);
      addon.gemm({ ...params, packB: true }, aValues, bValues, outPacked, biasValues);
      if (encode(outPacked) !== encode(out)) throw new Error(`packB changes the result: m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`);
      outputs.push(encode(out));
    }
  }
  return outputs;
});
process.stdout.write(JSON.stringify({ isa: addon.isa(), availableIsas: addon.availableIsas(), results }));
