// The published JSON Schema of the policy document (docs/policy.schema.json), derived from the
// zod schema so the two cannot disagree. `npm run schema` writes it; `npm run schema -- --check`
// and test/unit/policy-schema-file.test.ts fail when the committed file is stale.
import { z } from 'zod';
import { POLICY_VERSION, PolicySchema } from './schema';

export const POLICY_SCHEMA_ID = `urn:palisade:policy:v${POLICY_VERSION}`;

/** A JSON Schema document: plain JSON values only. */
export type JsonSchemaDocument = Record<string, unknown>;

/**
 * The JSON Schema (draft 2020-12) of a policy file as written: fields with defaults are
 * optional, as they are in the file. It checks shapes, types, enums, patterns and ranges;
 * the rules a JSON Schema cannot express (unique ids and identities, "from" not above "to",
 * normalised absolute paths, valid CIDR networks, "alwaysOpen" only on allow rules) are
 * checked by validatePolicy alone.
 */
export function policyJsonSchema(): JsonSchemaDocument {
  const generated = z.toJSONSchema(PolicySchema, { io: 'input' }) as JsonSchemaDocument;
  const { $schema, ...rest } = generated;
  return {
    $schema,
    $id: POLICY_SCHEMA_ID,
    title: 'Palisade policy',
    description:
      `A Palisade firewall policy, version ${POLICY_VERSION}: per-profile settings (private, public), ` +
      'app rules, port rules, known networks and interfaces pinned to a profile. Fields left out take ' +
      'their defaults. Palisade also checks what this schema cannot: ids, app identities and networks ' +
      'are unique, port ranges run from low to high, paths are absolute and normalised, remote networks ' +
      'are valid CIDR without host bits, and "alwaysOpen" is only set on allow rules.',
    ...rest,
  };
}

/** The schema as committed: pretty-printed with 2 spaces and a trailing newline. */
export function policyJsonSchemaText(): string {
  return `${JSON.stringify(policyJsonSchema(), null, 2)}\n`;
}
