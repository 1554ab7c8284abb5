// Both ends of the ISA tests' child processes (test/native/isa_*_child.cjs). The ISA is chosen once
// per process, so each ISA under test runs in a fresh Node process with CONVKIT_ISA set; float32
// arrays cross the pipe as base64 of their bytes, so they arrive bit for bit.
'use strict';
const { readFileSync } = require('node:fs');

function encodeFloats(values) {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function decodeFloats(text) {
  const bytes = Buffer.from(text, 'base64');
  const values = new Float32Array(bytes.length / 4);
  new Uint8Array(values.buffer).set(bytes);
  return values;
}

/**
 * The child's main: loads the addon at CONVKIT_ADDON, reads the JSON request from stdin, and prints
 * { isa, availableIsas, results } with results = compute(addon, request).
 */
function serveIsaChild(compute) {
  const addon = require(process.env.CONVKIT_ADDON);
  const request = JSON.parse(readFileSync(0, 'utf8'));
  const results = compute(addon, request);
  process.stdout.write(JSON.stringify({ isa: addon.isa(), availableIsas: addon.availableIsas(), results }));
}

module.exports = { encodeFloats, decodeFloats, serveIsaChild };
