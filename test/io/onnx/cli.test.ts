// `convkit export --onnx`, run as users run it: `node dist/cjs/cli.js ...` (needs `npm run build:ts`).
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as ck from '../../../lib';
import { expectClose } from '../../helpers/assert';
import { cliPath as cli, runCli } from '../../helpers/cli';
import { randomInput, runOrt } from './graph';
import { testModel } from './models';

const run = (args: string[]) => runCli(args, 1);

let dir: string;
beforeAll(async () => {
  expect(existsSync(cli), `${cli} is missing: run npm run build:ts`).toBe(true);
  dir = await mkdtemp(join(tmpdir(), 'convkit-onnx-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('convkit export --onnx', () => {
  it('writes a saved model as ONNX that onnxruntime-node runs like convkit', async () => {
    const model = testModel('globalAverage');
    const modelDir = join(dir, 'saved');
    await model.save(modelDir);
    const out = join(dir, 'model.onnx');
    const result = await run(['export', '--model-dir', modelDir, '--onnx', out]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`wrote ${out}: ONNX opset 13, input 'input' [batch, 10, 10, 2]`);
    const shape = [2, 10, 10, 2];
    const x = randomInput(2 * 10 * 10 * 2, 3);
    const expected = await model.predict(ck.tensor(x, shape));
    expectClose(
      (await runOrt(await readFile(out), x, shape)).data,
      expected.data,
      { atol: 1e-5, rtol: 1e-5 },
      'cli export',
    );

    expect((await readdir(dir)).sort()).toEqual(['model.onnx', 'saved']);
  });

  it('says what is missing, with exit code 1', async () => {
    const noTarget = await run(['export', '--model-dir', dir]);
    expect(noTarget.code).toBe(1);
    expect(noTarget.stderr).toContain('convkit: export needs --onnx FILE');
    const preset = await run(['export', '--model', dir, '--onnx', join(dir, 'x.onnx')]);
    expect(preset.code).toBe(1);
    expect(preset.stderr).toContain('export takes the saved model as --model-dir DIR');
    const noModel = await run(['export', '--model-dir', join(dir, 'nothing'), '--onnx', join(dir, 'x.onnx')]);
    expect(noModel.code).toBe(1);
    expect(noModel.stderr).toMatch(/convkit: loadModel: .*nothing.*cannot be read/);
    const help = await run(['--help']);
    expect(help.stdout).toContain('convkit export [options]');
    expect(help.stdout).toContain('--onnx FILE');
  });
});
