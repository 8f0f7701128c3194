// Entry point of the palisade command (bin/palisade.cjs loads this).
import { main } from './main';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (err: unknown) => {
  console.error(`palisade: ${(err as Error).stack ?? String(err)}`);
  process.exitCode = 1;
});
