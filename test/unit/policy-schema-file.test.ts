// The published JSON Schema (docs/policy.schema.json): it must be exactly what the zod schema
// generates (so it cannot drift), and it must really describe policy files, checked with an
// independent JSON Schema validator (Ajv, draft 2020-12).
import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';
import { describe, expect, it } from 'vitest';
import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';
import { POLICY_SCHEMA_ID, policyJsonSchema, policyJsonSchemaText } from '../../shared/policy/json-schema';
import { parsePolicy, validatePolicy } from '../../shared/policy/validate';
import { defaultPolicy } from '../../shared/policy/defaults';

const schemaFile = new URL('../../docs/policy.schema.json', import.meta.url);

/**
 * zod emits `format` (date-time, uuid, ipv4, ipv6) next to an equivalent `pattern`. Ajv's
 * strict mode refuses unknown formats rather than ignore them, and its format validators live
 * in the separate ajv-formats package. Rather than switch formats off (which would let a
 * format that zod emitted but Ajv never checked go unnoticed), each format the schema uses is
 * registered here with a real validator, so every value is checked both by the pattern and
 * by the format; a new format in the schema makes Ajv's compile fail.
 */
const RFC3339 = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?(Z|[+-]([01]\d|2[0-3]):[0-5]\d)$/;
const FORMATS: Record<string, (value: string) => boolean> = {
  'date-time': (value) => {
    if (!RFC3339.test(value)) return false;
    // Reject dates that do not exist (2026-02-30): the calendar date must survive a round trip.
    const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
    const date = new Date(Date.UTC(y, m - 1, d));
    return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
  },
  uuid: (value) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value),
  ipv4: (value) => isIPv4(value),
  ipv6: (value) => isIPv6(value),
};

function compile() {
  const ajv = new Ajv2020({ strict: true, allErrors: true });
  for (const [name, validate] of Object.entries(FORMATS)) ajv.addFormat(name, { type: 'string', validate });
  return ajv.compile(JSON.parse(readFileSync(schemaFile, 'utf8')) as object);
}

const validateWithSchema = compile();

/** Ajv's verdict, with its errors as "instancePath keyword" for readable assertions. */
function conform(document: unknown): { valid: boolean; errors: string[] } {
  const valid = validateWithSchema(document);
  const errors = (validateWithSchema.errors ?? []).map((e: ErrorObject) => `${e.instancePath} ${e.keyword}`);
  return { valid, errors };
}

// ---------------------------------------------------------------------------------------------

const UUID = '0b0c1b5e-7a1c-4f7e-9a55-6a7f9c2d1e00';
const portRule = (fields: Record<string, unknown> = {}) => ({
  id: 'web', action: 'allow', protocol: 'tcp', ports: { from: 8080, to: 8080 }, profiles: ['private'], ...fields,
});

const realistic = {
  $schema: './policy.schema.json',
  version: 1,
  profiles: { private: { answerPing: true }, public: { shieldsUp: true, defaultOutbound: 'block' } },
  apps: [
    { id: 'sshd', name: 'OpenSSH server', identity: { kind: 'executable', path: '/usr/sbin/sshd' }, action: 'allow', profiles: ['private'] },
    { id: 'jupyter', identity: { kind: 'script', interpreter: '/usr/bin/python3.12', script: '/home/ana/.local/bin/jupyter-lab' }, action: 'allow', profiles: [] },
    { id: 'steam', identity: { kind: 'flatpak', appId: 'com.valvesoftware.Steam' }, action: 'allow', profiles: ['private'] },
    { id: 'spotify', identity: { kind: 'snap', name: 'spotify' }, action: 'block', profiles: ['public'] },
    { id: 'obsidian', identity: { kind: 'appimage', name: 'Obsidian-1.5.3.AppImage' }, action: 'block', profiles: ['private', 'public'] },
  ],
  portRules: [
    portRule({ id: 'kde-connect', protocol: 'both', ports: { from: 1714, to: 1764 }, remote: ['192.168.1.0/24', 'fd00::/8'], comment: 'KDE Connect' }),
    portRule({ id: 'mdns', enabled: false, protocol: 'udp', ports: { from: 5353, to: 5353 }, alwaysOpen: true }),
    portRule({ id: 'demo', profiles: ['public'], expires: '2026-11-21T18:00:00+01:00' }),
  ],
  networks: [
    { name: 'Home', identity: { kind: 'networkmanager', uuid: UUID, ssid: 'Casa', bssid: 'aa:bb:cc:dd:ee:ff' }, profile: 'private', firstSeen: '2025-09-01T10:00:00Z' },
    { name: 'Office', identity: { kind: 'gateway', address: '10.20.0.1', mac: '00:1a:2b:3c:4d:5e' }, profile: 'public' },
    { name: 'Lab', identity: { kind: 'gateway', address: 'fd12:3456::1', mac: '00:1a:2b:3c:4d:5f' }, profile: 'private', lastSeen: '2026-05-01T20:15:00.5Z' },
  ],
  interfaces: { 'wg-home': 'private', wlp2s0: 'public' },
};

const validSamples: [string, unknown][] = [
  ['the smallest policy', { version: 1 }],
  ['a policy naming its schema', { $schema: 'https://example.org/policy.schema.json', version: 1 }],
  ['empty sections', { version: 1, profiles: {}, apps: [], portRules: [], networks: [], interfaces: {} }],
  ['a realistic policy', realistic],
  ['the default policy written out in full', defaultPolicy()],
  ['a realistic policy written out in full', parsePolicy(realistic)],
];

const invalidSamples: [string, unknown, string][] = [
  ['a newer version', { version: 2 }, '/version const'],
  ['no version', { profiles: {} }, ' required'],
  ['a typo at the root', { version: 1, portrules: [] }, ' additionalProperties'],
  ['a typo in a profile', { version: 1, profiles: { public: { stelth: true } } }, '/profiles/public additionalProperties'],
  ['a string for a switch', { version: 1, profiles: { private: { enabled: 'yes' } } }, '/profiles/private/enabled type'],
  ['a bad default verdict', { version: 1, profiles: { private: { defaultInbound: 'deny' } } }, '/profiles/private/defaultInbound enum'],
  ['port 0', { version: 1, portRules: [portRule({ ports: { from: 0, to: 1 } })] }, '/portRules/0/ports/from minimum'],
  ['port 65536', { version: 1, portRules: [portRule({ ports: { from: 1, to: 65536 } })] }, '/portRules/0/ports/to maximum'],
  ['a fractional port', { version: 1, portRules: [portRule({ ports: { from: 1.5, to: 2 } })] }, '/portRules/0/ports/from type'],
  ['a bad protocol', { version: 1, portRules: [portRule({ protocol: 'icmp' })] }, '/portRules/0/protocol enum'],
  ['a port rule without ports', { version: 1, portRules: [portRule({ ports: undefined })] }, '/portRules/0 required'],
  ['a bad expiry', { version: 1, portRules: [portRule({ expires: 'tomorrow' })] }, '/portRules/0/expires format'],
  ['an impossible expiry date', { version: 1, portRules: [portRule({ expires: '2026-02-30T12:00:00Z' })] }, '/portRules/0/expires pattern'],
  ['a bad id', { version: 1, portRules: [portRule({ id: '-web' })] }, '/portRules/0/id pattern'],
  ['a bad Flatpak id', { version: 1, apps: [{ id: 'a', identity: { kind: 'flatpak', appId: 'org.example' }, action: 'allow', profiles: [] }] }, '/apps/0/identity oneOf'],
  ['an upper-case snap name', { version: 1, apps: [{ id: 'a', identity: { kind: 'snap', name: 'Spotify' }, action: 'allow', profiles: [] }] }, '/apps/0/identity oneOf'],
  ['an AppImage name with "/"', { version: 1, apps: [{ id: 'a', identity: { kind: 'appimage', name: 'a/b' }, action: 'allow', profiles: [] }] }, '/apps/0/identity oneOf'],
  ['an unknown identity kind', { version: 1, apps: [{ id: 'a', identity: { kind: 'deb', name: 'x' }, action: 'allow', profiles: [] }] }, '/apps/0/identity oneOf'],
  ['an app with an unknown profile', { version: 1, apps: [{ id: 'a', identity: { kind: 'snap', name: 'x' }, action: 'allow', profiles: ['home'] }] }, '/apps/0/profiles/0 enum'],
  ['an upper-case MAC', { version: 1, networks: [{ name: 'n', identity: { kind: 'gateway', address: '10.0.0.1', mac: '52:54:00:AB:CD:EF' }, profile: 'private' }] }, '/networks/0/identity oneOf'],
  ['a bad UUID', { version: 1, networks: [{ name: 'n', identity: { kind: 'networkmanager', uuid: 'not-a-uuid' }, profile: 'private' }] }, '/networks/0/identity oneOf'],
  ['a bad gateway address', { version: 1, networks: [{ name: 'n', identity: { kind: 'gateway', address: '300.1.1.1', mac: '52:54:00:12:34:56' }, profile: 'private' }] }, '/networks/0/identity oneOf'],
  ['an empty network name', { version: 1, networks: [{ name: '', identity: { kind: 'networkmanager', uuid: UUID }, profile: 'private' }] }, '/networks/0/name minLength'],
  ['a wildcard interface', { version: 1, interfaces: { 'eth*': 'private' } }, '/interfaces propertyNames'],
  ['an interface name of 16 characters', { version: 1, interfaces: { abcdefghijklmnop: 'private' } }, '/interfaces propertyNames'],
  ['an interface on an unknown profile', { version: 1, interfaces: { eth0: 'home' } }, '/interfaces/eth0 enum'],
  ['an array as the document', [], ' type'],
];

// ---------------------------------------------------------------------------------------------

describe('docs/policy.schema.json', () => {
  it('is exactly what `npm run schema` generates (run it after changing shared/policy/schema.ts)', () => {
    const onDisk = readFileSync(schemaFile, 'utf8');
    expect(onDisk).toBe(policyJsonSchemaText());
    expect(JSON.parse(onDisk)).toStrictEqual(policyJsonSchema());
  });

  it('is pretty-printed with two spaces and ends with a newline', () => {
    const text = policyJsonSchemaText();
    expect(text.endsWith('}\n')).toBe(true);
    expect(text.split('\n')[1]).toBe('  "$schema": "https://json-schema.org/draft/2020-12/schema",');
  });

  it('is a draft 2020-12 schema named for Palisade', () => {
    const schema = policyJsonSchema();
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(schema.$id).toBe(POLICY_SCHEMA_ID);
    expect(POLICY_SCHEMA_ID).toBe('urn:palisade:policy:v1');
    expect(schema.title).toBe('Palisade policy');
    expect(schema.description).toEqual(expect.stringContaining('Palisade firewall policy, version 1'));
    expect(Object.keys(schema).slice(0, 4)).toEqual(['$schema', '$id', 'title', 'description']);
    expect(schema.type).toBe('object');
    expect(schema.required).toEqual(['version']);
    expect(schema.additionalProperties).toBe(false);
  });

  it('describes the input form: fields with defaults are optional and carry their defaults', () => {
    const schema = policyJsonSchema() as {
      properties: { profiles: { properties: Record<string, { properties: Record<string, { default?: unknown }>; required?: unknown }> } };
    };
    const { private: priv, public: pub } = schema.properties.profiles.properties;
    expect(priv?.required).toBeUndefined();
    expect(priv?.properties.answerPing?.default).toBe(true);
    expect(pub?.properties.answerPing?.default).toBe(false);
    expect(pub?.properties.stealth?.default).toBe(true);
    expect(pub?.properties.defaultInbound?.default).toBe('block');
  });

  it('is plain JSON (survives a JSON round trip unchanged)', () => {
    const schema = policyJsonSchema();
    expect(JSON.parse(JSON.stringify(schema))).toStrictEqual(schema);
    expect(policyJsonSchema()).toStrictEqual(schema);
  });
});

describe('documents checked against the JSON Schema', () => {
  it.each(validSamples)('%s conforms, and Palisade accepts it', (_label, document) => {
    expect(conform(document)).toStrictEqual({ valid: true, errors: [] });
    expect(validatePolicy(document).ok).toBe(true);
  });

  it.each(invalidSamples)('%s does not conform, and Palisade refuses it', (_label, document, error) => {
    const { valid, errors } = conform(document);
    expect(valid).toBe(false);
    expect(errors).toContain(error);
    expect(validatePolicy(document).ok).toBe(false);
  });

  it('checks the formats zod emits, not just the patterns beside them', () => {
    // Each format validator registered above must reject what it should on its own.
    expect(FORMATS['date-time']?.('2026-02-29T00:00:00Z')).toBe(false);
    expect(FORMATS['date-time']?.('2028-02-29T00:00:00Z')).toBe(true);
    expect(FORMATS['date-time']?.('2026-11-21T18:00:00')).toBe(false);
    expect(FORMATS.uuid?.(UUID)).toBe(true);
    expect(FORMATS.uuid?.('not-a-uuid')).toBe(false);
    expect(FORMATS.ipv4?.('10.0.0.1')).toBe(true);
    expect(FORMATS.ipv4?.('10.0.0')).toBe(false);
    expect(FORMATS.ipv6?.('fe80::1')).toBe(true);
    expect(FORMATS.ipv6?.('10.0.0.1')).toBe(false);
  });

  it('leaves to Palisade the rules it cannot express', () => {
    // Documented in the schema's description: these conform, yet validatePolicy refuses them.
    const crossField = [
      { version: 1, portRules: [portRule({ ports: { from: 443, to: 80 } })] },
      { version: 1, portRules: [portRule({ action: 'block', alwaysOpen: true })] },
      { version: 1, portRules: [portRule({ remote: ['10.0.0.1/8'] })] },
      { version: 1, portRules: [portRule(), portRule()] },
      { version: 1, apps: [{ id: 'a', identity: { kind: 'executable', path: 'relative/path' }, action: 'allow', profiles: [] }] },
    ];
    for (const document of crossField) {
      expect(conform(document).valid).toBe(true);
      expect(validatePolicy(document).ok).toBe(false);
    }
  });
});
