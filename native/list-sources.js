// Prints native/sources.txt as a space-separated list for binding.gyp's `<!@(...)` expansion.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const text = readFileSync(join(__dirname, 'sources.txt'), 'utf8');
const sources = text
  .split(/\r?\n/)
  .map((line) => line.replace(/#.*/, '').trim())
  .filter((line) => line.length > 0);
process.stdout.write(sources.join(' '));
