#!/usr/bin/env node
// The convkit command. `build-native` is answered here, before the library (and with it the
// native addon) loads, so it works where no addon loads; the other commands live in cli/commands.ts.
import { buildNativeCommand } from './cli/build_native';

async function run(argv: string[]): Promise<number> {
  if (argv[0] === 'build-native') return buildNativeCommand(argv.slice(1));
  const { main } = await import('./cli/commands');
  return main(argv);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(`convkit: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  },
);
