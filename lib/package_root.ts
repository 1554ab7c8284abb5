// Locates the installed convkit package, for files that ship beside the code (the native addon)
// or sit in a repository checkout (the bundled data sets).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** Walks up from this file to the convkit package root (works from lib/ and from dist/cjs/). */
export function packageRoot(): string {
  let dir = __dirname;
  for (;;) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        if (JSON.parse(readFileSync(manifest, 'utf8')).name === 'convkit') return dir;
      } catch {
        // an unreadable package.json on the way up is not ours; keep walking
      }
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`convkit: cannot find the package root above ${__dirname}`);
    dir = parent;
  }
}
