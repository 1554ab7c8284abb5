// prepare's native step (npm install / npm ci in a clone, npm pack, and the copy npx makes of a
// clone): a full `node-gyp rebuild` when the tree is not configured or its build description
// changed, else `node-gyp build`, which recompiles only what changed (make tracks headers too).
// So `npm pack` and a clone's first `npx convkit` do not rebuild an addon that is up to date.
import { spawnSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const configured = join(root, 'build', 'config.gypi');
// What configure reads: a new line in sources.txt is a new file in the generated makefiles.
const description = ['binding.gyp', join('native', 'sources.txt'), join('native', 'list-sources.js')];
const modified = (path) => statSync(join(root, path)).mtimeMs;
const fresh = existsSync(configured) && existsSync(join(root, 'build', 'Release', 'convkit.node')) &&
  description.every((path) => modified(path) <= statSync(configured).mtimeMs);

const nodeGyp = process.env.npm_config_node_gyp;
const command = nodeGyp ? [process.execPath, nodeGyp] : ['node-gyp'];
const result = spawnSync(command[0], [...command.slice(1), fresh ? 'build' : 'rebuild', '--jobs=max'],
  { cwd: root, stdio: 'inherit', shell: !nodeGyp && process.platform === 'win32' });
process.exit(result.status ?? 1);
