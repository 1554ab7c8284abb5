// Child process of isa_gemm.test.ts (see test/helpers/isa_child.cjs). Reads
// { cases: [{ m, n, k, alpha, beta, activation, activationAlpha, a, b, c, bias }] } (arrays as
// base64 float32, bias possibly null), runs every case in all four transpose combinations (checking
// that B packed up front gives the same bits), and returns
// results: [[c for (transA, transB) = ff, ft, tf, tt], ...].
'use strict';
const { decodeFloats: decode, encodeFloats: encode, serveIsaChild } = require('../helpers/isa_child.cjs');

serveIsaChild((addon, { cases }) =>
  cases.map(({ m, n, k, alpha, beta, activation, activationAlpha, a, b, c, bias }) => {
    const [aValues, bValues, biasValues] = [decode(a), decode(b), bias && decode(bias)];
    const outputs = [];
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        const params = { m, n, k, transA, transB, alpha, beta, activation, activationAlpha };
        const out = decode(c);
        addon.kernels.gemm(params, aValues, bValues, out, biasValues);
        // B packed once up front (as layers pack their weights) must give the very same bits.
        const outPacked = decode(c);
        addon.kernels.gemm({ ...params, packB: true }, aValues, bValues, outPacked, biasValues);
        if (encode(outPacked) !== encode(out))
          throw new Error(`packB changes the result: m=${m} n=${n} k=${k} transA=${transA} transB=${transB}`);
        outputs.push(encode(out));
      }
    }
    return outputs;
  }),
);
