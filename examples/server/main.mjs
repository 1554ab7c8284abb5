#!/usr/bin/env node
// Runs the example inference service (server.mjs) on 127.0.0.1:
//
//   node examples/server/main.mjs [--model DIR] [--port 8080] [--host 127.0.0.1]
//       [--max-batch-size 32] [--max-delay-ms 2] [--max-queue N] [--max-in-flight 2] [--log]
//
// --model loads a saved model directory (model.json + its weights file, e.g. from `convkit train`);
// without it the service runs ck.models.kerasMnist() with random weights, which is enough to try
// the API and to measure it. --port 0 picks a free port. The address is printed, and sent to the
// parent process when there is an IPC channel (bench/serve.mjs forks this script).
import { parseArgs } from 'node:util';
import * as ck from 'convkit';
import { buildServer } from './server.mjs';

const { values: args } = parseArgs({
  options: {
    model: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '8080' },
    'max-batch-size': { type: 'string' },
    'max-delay-ms': { type: 'string' },
    'max-queue': { type: 'string' },
    'max-in-flight': { type: 'string' },
    log: { type: 'boolean', default: false },
  },
});

/** A numeric flag, left undefined when absent so the predictor's default applies (and checks the value). */
const numberFlag = (name) => (args[name] === undefined ? undefined : Number(args[name]));

async function main() {
  const model = args.model ? await ck.loadModel(args.model) : ck.models.kerasMnist({ seed: 1 });
  if (!args.model) console.error('no --model given: serving kerasMnist with random weights');
  const app = buildServer({
    model,
    predictor: {
      maxBatchSize: numberFlag('max-batch-size'),
      maxDelayMs: numberFlag('max-delay-ms'),
      maxQueue: numberFlag('max-queue'),
      maxInFlight: numberFlag('max-in-flight'),
    },
    logger: args.log ? { level: 'info' } : false,
  });
  const address = await app.listen({ host: args.host, port: Number(args.port) });
  console.log(
    `convkit example server listening on ${address} (batches of up to ${app.predictor.options.maxBatchSize})`,
  );
  process.send?.({ address });
  // Answer the requests already accepted, then exit.
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => app.close().then(() => process.exit(0)));
}

main().catch((error) => {
  console.error(`server: ${error.message}`);
  process.exit(1);
});
