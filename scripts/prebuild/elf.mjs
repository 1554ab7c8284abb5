// Checks a prebuilt Linux addon with binutils' objdump and nm (which read x86-64 and AArch64 ELF alike):
// the newest glibc symbol version it needs is at most the floor it was built for, it needs no C++
// runtime from the system, and it exports Node-API's entry points only.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const entryPoints = ['napi_register_module_v1', 'node_api_module_get_api_version_v1'];

function compareVersions(a, b) {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i += 1) {
    const diff = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

/** What the dynamic linker will ask of the system for `file`. */
export function inspectElf(file) {
  const symbols = execFileSync('objdump', ['-T', file], { encoding: 'utf8' });
  const headers = execFileSync('objdump', ['-p', file], { encoding: 'utf8' });
  const versions = (prefix) =>
    [...new Set([...symbols.matchAll(new RegExp(`\\b${prefix}_([0-9.]+)\\b`, 'g'))].map((m) => m[1]))].sort(
      compareVersions,
    );
  const exported = execFileSync('nm', ['-D', '--defined-only', file], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.trim().split(/\s+/).at(-1))
    .filter(Boolean);
  return {
    glibc: versions('GLIBC').at(-1),
    glibcxx: versions('GLIBCXX').at(-1),
    needed: [...headers.matchAll(/^\s*NEEDED\s+(\S+)/gm)].map((m) => m[1]),
    exported: exported.sort(),
  };
}

const muslLoader = '/lib/ld-musl-x86_64.so.1';

/**
 * Links a musl addon with musl's own dynamic loader (Debian's package musl; Alpine's libc is the
 * same) and returns the symbols it cannot resolve, bar Node-API's, which Node provides at load.
 */
function unresolvedUnderMusl(file) {
  if (!existsSync(muslLoader)) {
    if (process.env.CI)
      return [`${muslLoader} is missing (apt-get install musl): the musl addon's links are unchecked`];
    console.warn(`prebuild: ${muslLoader} is missing (apt-get install musl); the musl addon's links are not checked`);
    return [];
  }
  const listing = spawnSync(muslLoader, ['--list', file], { encoding: 'utf8' });
  return `${listing.stdout}\n${listing.stderr}`
    .split('\n')
    .filter((line) => /Error relocating|not found/.test(line) && !/: napi_\w+: symbol not found/.test(line))
    .map((line) => `under musl: ${line.trim()}`);
}

/** Throws if `file` breaks its target's promises; returns what it needs, for the report. */
export function checkElf(file, target) {
  const elf = inspectElf(file);
  const problems = [];
  if (target.libc === 'glibc' && elf.glibc && compareVersions(elf.glibc, target.glibcFloor) > 0) {
    problems.push(`needs GLIBC_${elf.glibc}, newer than the floor ${target.glibcFloor}`);
  }
  if (elf.glibcxx) problems.push(`needs the system's libstdc++ (GLIBCXX_${elf.glibcxx})`);
  const cxxRuntime = elf.needed.filter((lib) => /^lib(std)?c\+\+|^libgcc_s/.test(lib));
  if (cxxRuntime.length > 0) problems.push(`links the system's C++ runtime dynamically: ${cxxRuntime.join(', ')}`);
  if (elf.exported.join(' ') !== entryPoints.join(' ')) {
    problems.push(`exports ${elf.exported.join(', ') || 'nothing'} instead of only ${entryPoints.join(', ')}`);
  }
  if (target.libc === 'musl') problems.push(...unresolvedUnderMusl(file));
  if (problems.length > 0) throw new Error(`${file}:\n  ${problems.join('\n  ')}`);
  return elf;
}
