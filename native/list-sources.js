// Reads native/sources.txt (see the syntax there) for binding.gyp's `<!@(...)` expansions:
//   node native/list-sources.js                 baseline sources (untagged lines)
//   node native/list-sources.js --isa NAME      sources of one ISA
//   node native/list-sources.js --cflags NAME   that ISA's gcc/clang flags
//   node native/list-sources.js --msvc NAME     that ISA's MSVC flags
//   node native/list-sources.js --arch NAME     that ISA's architecture (x64 or arm64)
// Output is space-separated; an unknown ISA or a malformed tag is an error, so a typo fails the
// build instead of silently dropping a kernel.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');

const TAG = /^([^\s[]+)\s*(?:\[\s*(\w+)@(\w+)\s*(?::([^|\]]*))?(?:\|\s*msvc:([^\]]*))?\])?$/;

function words(text) {
  return text.trim().split(/\s+/).filter(Boolean);
}

function parseSources(text) {
  const baseline = [];
  const isas = new Map();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.replace(/#.*/, '').trim();
    if (line.length === 0) return;
    const match = TAG.exec(line);
    if (!match) throw new Error(`native/sources.txt:${index + 1}: cannot parse "${line}"`);
    const [, path, isa, arch, cflags = '', msvc = ''] = match;
    if (!isa) {
      baseline.push(path);
      return;
    }
    const tag = { arch, cflags: words(cflags), msvc: words(msvc) };
    const known = isas.get(isa);
    if (!known) {
      isas.set(isa, { ...tag, sources: [path] });
      return;
    }
    if (known.arch !== tag.arch || known.cflags.join(' ') !== tag.cflags.join(' ') ||
        known.msvc.join(' ') !== tag.msvc.join(' ')) {
      throw new Error(`native/sources.txt:${index + 1}: ISA ${isa} is tagged differently on another line`);
    }
    known.sources.push(path);
  });
  return { baseline, isas };
}

function readSources() {
  return parseSources(readFileSync(join(__dirname, 'sources.txt'), 'utf8'));
}

/**
 * Everything one architecture's addon compiles: each source with its own flags (an ISA file's
 * gcc/clang flags), and the CONVKIT_HAVE_<ISA> defines. For builds that do not go through gyp or
 * CMake (scripts/prebuild/compile-check.mjs).
 */
function sourcesFor(arch) {
  const { baseline, isas } = readSources();
  const sources = baseline.map((path) => ({ path, cflags: [] }));
  const defines = [];
  for (const [name, isa] of isas) {
    if (isa.arch !== arch) continue;
    defines.push(`CONVKIT_HAVE_${name.toUpperCase()}`);
    sources.push(...isa.sources.map((path) => ({ path, cflags: isa.cflags })));
  }
  return { sources, defines };
}

function main(argv) {
  const { baseline, isas } = readSources();
  if (argv.length === 0) return baseline;
  const [option, name] = argv;
  const fields = { '--isa': 'sources', '--cflags': 'cflags', '--msvc': 'msvc', '--arch': 'arch' };
  if (!(option in fields) || argv.length !== 2) {
    throw new Error(`usage: list-sources.js [--isa|--cflags|--msvc|--arch NAME], got ${argv.join(' ')}`);
  }
  const isa = isas.get(name);
  if (!isa) throw new Error(`native/sources.txt has no ISA named ${name}`);
  return [].concat(isa[fields[option]]);
}

if (require.main === module) {
  try {
    process.stdout.write(main(process.argv.slice(2)).join(' '));
  } catch (error) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
}

module.exports = { parseSources, sourcesFor };
