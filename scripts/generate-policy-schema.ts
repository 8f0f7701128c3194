// Writes docs/policy.schema.json from the zod policy schema.
//   npm run schema              regenerate the file
//   npm run schema -- --check   exit 1 if the committed file is missing or stale (for CI)
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { policyJsonSchemaText } from '../shared/policy/json-schema';

const target = fileURLToPath(new URL('../docs/policy.schema.json', import.meta.url));
const shown = relative(process.cwd(), target) || target;

async function main(args: readonly string[]): Promise<number> {
  const unknown = args.filter((a) => a !== '--check');
  if (unknown.length > 0) {
    console.error(`usage: generate-policy-schema [--check]\nunknown argument: ${unknown.join(' ')}`);
    return 2;
  }
  const expected = policyJsonSchemaText();

  if (args.includes('--check')) {
    let committed: string;
    try {
      committed = await readFile(target, 'utf8');
    } catch (err) {
      console.error(`${shown} cannot be read (${(err as Error).message}); run \`npm run schema\` to generate it.`);
      return 1;
    }
    if (committed !== expected) {
      console.error(`${shown} is out of date with shared/policy/schema.ts; run \`npm run schema\` and commit the result.`);
      return 1;
    }
    console.log(`${shown} is up to date.`);
    return 0;
  }

  await mkdir(dirname(target), { recursive: true });
  await writeFile(target, expected);
  console.log(`wrote ${shown}`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
