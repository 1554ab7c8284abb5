// npm run lint: Biome over the TypeScript/JavaScript (biome.json) and clang-format --dry-run over
// the C/C++ sources (.clang-format); check only, non-zero exit on any finding.
// npm run format (--write): biome format --write and clang-format -i, formatting only, no lint fixes.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const write = process.argv.includes('--write');
const run = (command, args) => spawnSync(command, args, { cwd: root, stdio: 'inherit' });

const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
const biomeStatus = run(process.execPath, [biome, ...(write ? ['format', '--write'] : ['check']), '.']).status;

const clangFormat = process.env.CLANG_FORMAT || 'clang-format';
const probe = spawnSync(clangFormat, ['--version'], { encoding: 'utf8' });
if (probe.error) {
  console.error(
    `lint: ${clangFormat} not found; the C++ sources cannot be checked. Install clang-format 14 ` +
      '(Debian/Ubuntu: apt-get install clang-format; macOS: brew install clang-format) or set CLANG_FORMAT.',
  );
  process.exit(1);
}
if (!/version 14\./.test(probe.stdout)) {
  console.warn(`lint: CI formats with clang-format 14; ${probe.stdout.trim()} may disagree with it`);
}
const sources = ['native', 'test']
  .flatMap((dir) => readdirSync(join(root, dir), { recursive: true }).map((file) => join(dir, file)))
  .filter((file) => /\.(c|cc|h)$/.test(file))
  .sort();
const clangStatus = run(clangFormat, write ? ['-i', ...sources] : ['--dry-run', '--Werror', ...sources]).status;
if (clangStatus === 0 && !write) console.log(`clang-format: ${sources.length} files formatted correctly`);

process.exit(biomeStatus || clangStatus ? 1 : 0);
