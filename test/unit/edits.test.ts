// Policy edits: what the GUI, the tray and the CLI ask the helper for. Each op is checked for its
// effect, the ids it hands out, and the errors it gives; a list of edits applies in order, all or
// nothing, never touches its input, and always yields a policy that validates.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EditError, PolicyEditSchema, applyEdits, type EditContext, type PolicyEditInput } from '../../shared/policy/edits';
import { PolicyValidationError, parsePolicy, validatePolicy } from '../../shared/policy/validate';
import { defaultPolicy } from '../../shared/policy/defaults';
import type { AppIdentity, NetworkIdentity, Policy, ProfileName } from '../../shared/policy/schema';
import type { ActiveNetwork } from '../../shared/runtime/networks';

// ---------------------------------------------------------------------------------------------
// Fixtures

const NOW = '2026-03-01T12:00:00Z';
const EARLIER = '2025-11-21T18:00:00Z';

const UUID_HOME = '0b0c1b5e-7a1c-4f7e-9a55-6a7f9c2d1e00';
const UUID_CAFE = 'c2a1f5d3-3b4e-4c6d-8e7f-9a0b1c2d3e4f';
const HOME: NetworkIdentity = { kind: 'networkmanager', uuid: UUID_HOME, ssid: 'home-wifi' };
const CAFE: NetworkIdentity = { kind: 'networkmanager', uuid: UUID_CAFE, ssid: 'cafe' };
const GATEWAY: NetworkIdentity = { kind: 'gateway', address: '192.168.7.1', mac: '52:54:00:12:34:56' };

const FIREFOX: AppIdentity = { kind: 'executable', path: '/usr/bin/firefox' };
const TOOL_PY311: AppIdentity = { kind: 'script', interpreter: '/usr/bin/python3.11', script: '/opt/tool/server.py' };
const TOOL_PY312: AppIdentity = { kind: 'script', interpreter: '/usr/bin/python3.12', script: '/opt/tool/server.py' };

/** A policy with something of everything, and non-default profile settings to notice resets. */
function basePolicy(): Policy {
  return parsePolicy({
    version: 1,
    profiles: {
      private: { shieldsUp: true, notify: false, defaultInbound: 'allow' },
      public: { stealth: false },
    },
    apps: [
      { id: 'app-firefox', name: 'Firefox', identity: FIREFOX, action: 'allow', profiles: ['private'] },
      { id: 'app-tool', name: 'Tool server', identity: TOOL_PY311, action: 'block', profiles: ['private', 'public'] },
    ],
    portRules: [
      { id: 'rule-ssh', action: 'allow', protocol: 'tcp', ports: { from: 22, to: 22 }, profiles: ['private'] },
      { id: 'rule-dns', action: 'block', protocol: 'udp', ports: { from: 53, to: 53 }, profiles: ['public'] },
    ],
    networks: [
      { name: 'Home', identity: HOME, profile: 'private', firstSeen: EARLIER, lastSeen: EARLIER },
      { name: 'Network via 192.168.7.1', identity: GATEWAY, profile: 'public' },
    ],
    interfaces: { eth1: 'private' },
  });
}

interface TestContext extends EditContext {
  /** Every id handed out, in order, with the prefix asked for. */
  issued: string[];
}

function context(activeNetworks: ActiveNetwork[] = [], ids?: string[]): TestContext {
  const issued: string[] = [];
  let n = 0;
  return {
    activeNetworks,
    now: NOW,
    issued,
    newId: (prefix) => {
      n += 1;
      const id = ids?.[n - 1] ?? `${prefix}-new${n}`;
      issued.push(id);
      return id;
    },
  };
}

const activeCafe = (iface = 'wlan0'): ActiveNetwork => ({ interface: iface, identity: CAFE, name: 'Café Wi-Fi', primary: true });

/** Runs applyEdits and returns what it threw (fails the test when it does not throw). */
function thrownBy(policy: Policy, edits: PolicyEditInput[], ctx: EditContext = context()): Error {
  try {
    applyEdits(policy, edits, ctx);
  } catch (err) {
    return err as Error;
  }
  throw new Error(`expected applyEdits to throw for ${JSON.stringify(edits)}`);
}

/** Freezes a value and everything in it, so any write by the code under test throws. */
function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

// ---------------------------------------------------------------------------------------------
// setProfile

describe('setProfile', () => {
  it('changes the named setting on the named profile and nothing on the other profile', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'setProfile', profile: 'public', settings: { shieldsUp: true } }], context());
    expect(out.profiles.public.shieldsUp).toBe(true);
    expect(out.profiles.private).toEqual(base.profiles.private);
  });

  it('keeps every setting the edit does not name (a partial edit is not a reset)', () => {
    const base = basePolicy();
    // Private starts with shields up, notify off, inbound allowed, and ping answered (its default).
    const out = applyEdits(base, [{ op: 'setProfile', profile: 'private', settings: { stealth: false } }], context());
    expect(out.profiles.private).toEqual({ ...base.profiles.private, stealth: false });
  });

  it('an empty settings object changes nothing', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'setProfile', profile: 'private', settings: {} }], context());
    expect(out.profiles).toEqual(base.profiles);
  });

  it('can set several settings at once', () => {
    const out = applyEdits(basePolicy(), [{ op: 'setProfile', profile: 'public', settings: { enabled: false, answerPing: true, defaultOutbound: 'block' } }], context());
    expect(out.profiles.public).toMatchObject({ enabled: false, answerPing: true, defaultOutbound: 'block' });
  });
});

// ---------------------------------------------------------------------------------------------
// setApp

describe('setApp', () => {
  it('adds a new app at the end, with an id from ctx.newId("app") and a name derived from the identity', () => {
    const base = basePolicy();
    const ctx = context();
    const identity: AppIdentity = { kind: 'executable', path: '/usr/bin/thunderbird' };
    const out = applyEdits(base, [{ op: 'setApp', identity, action: 'allow', profiles: ['public'] }], ctx);
    expect(out.apps).toHaveLength(base.apps.length + 1);
    expect(out.apps.slice(0, -1)).toEqual(base.apps);
    expect(out.apps.at(-1)).toEqual({ id: 'app-new1', name: 'thunderbird', identity, action: 'allow', profiles: ['public'] });
    expect(ctx.issued).toEqual(['app-new1']);
  });

  it('derives a script app name from the script and the interpreter family', () => {
    const identity: AppIdentity = { kind: 'script', interpreter: '/usr/bin/node', script: '/srv/app.js' };
    const out = applyEdits(basePolicy(), [{ op: 'setApp', identity, action: 'allow', profiles: [] }], context());
    expect(out.apps.at(-1)?.name).toBe('app.js (node)');
  });

  it('uses the name the edit gives', () => {
    const identity: AppIdentity = { kind: 'flatpak', appId: 'org.gnome.Maps' };
    const out = applyEdits(basePolicy(), [{ op: 'setApp', identity, name: 'Maps', action: 'block', profiles: ['private', 'public'] }], context());
    expect(out.apps.at(-1)).toMatchObject({ name: 'Maps', identity, action: 'block', profiles: ['private', 'public'] });
  });

  it('updates an existing app in place by identity: same id and name, new action and profiles, no new id', () => {
    const base = basePolicy();
    const ctx = context();
    const out = applyEdits(base, [{ op: 'setApp', identity: FIREFOX, action: 'block', profiles: ['public'] }], ctx);
    expect(out.apps).toHaveLength(base.apps.length);
    expect(out.apps[0]).toEqual({ id: 'app-firefox', name: 'Firefox', identity: FIREFOX, action: 'block', profiles: ['public'] });
    expect(out.apps[1]).toEqual(base.apps[1]);
    expect(ctx.issued).toEqual([]);
  });

  it('a different-looking identity with the same key (python3.11 → python3.12) updates the one entry', () => {
    const base = basePolicy();
    const ctx = context();
    const out = applyEdits(base, [{ op: 'setApp', identity: TOOL_PY312, action: 'allow', profiles: ['private'] }], ctx);
    expect(out.apps).toHaveLength(base.apps.length);
    expect(out.apps.filter((a) => a.identity.kind === 'script')).toHaveLength(1);
    expect(out.apps[1]).toEqual({ id: 'app-tool', name: 'Tool server', identity: TOOL_PY312, action: 'allow', profiles: ['private'] });
    expect(ctx.issued).toEqual([]);
  });

  it('a new name in the edit replaces the existing name', () => {
    const out = applyEdits(basePolicy(), [{ op: 'setApp', identity: FIREFOX, name: 'Web browser', action: 'allow', profiles: ['private'] }], context());
    expect(out.apps[0]).toMatchObject({ id: 'app-firefox', name: 'Web browser' });
  });

  it('lists each profile once even when the edit repeats it', () => {
    const out = applyEdits(basePolicy(), [{ op: 'setApp', identity: FIREFOX, action: 'allow', profiles: ['public', 'private', 'public'] }], context());
    expect(out.apps[0]?.profiles).toEqual(['public', 'private']);
  });

  it('an allow rule with no profiles stays listed, unchecked', () => {
    const out = applyEdits(basePolicy(), [{ op: 'setApp', identity: FIREFOX, action: 'allow', profiles: [] }], context());
    expect(out.apps[0]).toMatchObject({ id: 'app-firefox', profiles: [] });
  });

  it('fails with PolicyValidationError when the new id is already used by a port rule', () => {
    const base = basePolicy();
    const err = thrownBy(base, [{ op: 'setApp', identity: { kind: 'snap', name: 'spotify' }, action: 'allow', profiles: ['private'] }], context([], ['rule-ssh']));
    expect(err).toBeInstanceOf(PolicyValidationError);
    expect(err.message).toContain('id "rule-ssh" is already used');
  });

  it('fails with PolicyValidationError when ctx.newId gives an id that is not an id', () => {
    const err = thrownBy(basePolicy(), [{ op: 'setApp', identity: { kind: 'snap', name: 'spotify' }, action: 'allow', profiles: [] }], context([], ['not an id!']));
    expect(err).toBeInstanceOf(PolicyValidationError);
    expect(err.message).toMatch(/apps\[2\]\.id/);
  });
});

// ---------------------------------------------------------------------------------------------
// removeApp

describe('removeApp', () => {
  it('removes an app by id and keeps the others in order', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'removeApp', app: 'app-firefox' }], context());
    expect(out.apps).toEqual([base.apps[1]]);
  });

  it('removes an app by identity, matching by key (another python3 version finds it)', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'removeApp', app: TOOL_PY312 }], context());
    expect(out.apps).toEqual([base.apps[0]]);
  });

  it('an unknown id is an EditError naming the id', () => {
    const err = thrownBy(basePolicy(), [{ op: 'removeApp', app: 'app-nope' }]);
    expect(err).toBeInstanceOf(EditError);
    expect(err.message).toBe('no app with id "app-nope" in the policy');
  });

  it('an unknown identity is an EditError naming the app', () => {
    const err = thrownBy(basePolicy(), [{ op: 'removeApp', app: { kind: 'executable', path: '/usr/bin/gimp' } }]);
    expect(err).toBeInstanceOf(EditError);
    expect(err.message).toBe('no app "gimp" in the policy');
  });
});

// ---------------------------------------------------------------------------------------------
// addPortRule / removePortRule

describe('addPortRule', () => {
  it('adds a rule with an id from ctx.newId("rule") and the schema defaults filled in', () => {
    const base = basePolicy();
    const ctx = context();
    const out = applyEdits(base, [{ op: 'addPortRule', rule: { action: 'allow', protocol: 'both', ports: { from: 8000, to: 8010 }, profiles: ['private'] } }], ctx);
    expect(out.portRules.slice(0, -1)).toEqual(base.portRules);
    expect(out.portRules.at(-1)).toEqual({
      id: 'rule-new1', enabled: true, direction: 'in', action: 'allow', protocol: 'both', ports: { from: 8000, to: 8010 }, profiles: ['private'], remote: [], alwaysOpen: false,
    });
    expect(ctx.issued).toEqual(['rule-new1']);
  });

  it('keeps the id, remote networks, expiry and comment the client gives', () => {
    const ctx = context();
    const rule = {
      id: 'web', action: 'allow' as const, protocol: 'tcp' as const, ports: { from: 443, to: 443 }, profiles: ['public' as ProfileName],
      remote: ['10.0.0.0/8', 'fd00::/8'], alwaysOpen: true, expires: '2026-03-01T13:00:00Z', comment: 'for an hour',
    };
    const out = applyEdits(basePolicy(), [{ op: 'addPortRule', rule }], ctx);
    expect(out.portRules.at(-1)).toEqual({ ...rule, enabled: true, direction: 'in' });
    expect(ctx.issued).toEqual([]);
  });

  it('a duplicate rule id is an EditError naming the id', () => {
    const err = thrownBy(basePolicy(), [{ op: 'addPortRule', rule: { id: 'rule-ssh', action: 'allow', protocol: 'tcp', ports: { from: 2222, to: 2222 }, profiles: ['private'] } }]);
    expect(err).toBeInstanceOf(EditError);
    expect(err.message).toBe('a rule with id "rule-ssh" exists already');
  });

  it('a generated id that a rule already has is the same EditError', () => {
    const err = thrownBy(basePolicy(), [{ op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: 2222, to: 2222 }, profiles: ['private'] } }], context([], ['rule-dns']));
    expect(err).toBeInstanceOf(EditError);
    expect(err.message).toContain('"rule-dns"');
  });

  it('a rule id an app already uses fails with PolicyValidationError (ids are unique across the document)', () => {
    const err = thrownBy(basePolicy(), [{ op: 'addPortRule', rule: { id: 'app-firefox', action: 'allow', protocol: 'tcp', ports: { from: 2222, to: 2222 }, profiles: ['private'] } }]);
    expect(err).toBeInstanceOf(PolicyValidationError);
    expect(err.message).toContain('portRules[2].id');
    expect(err.message).toContain('already used by apps[0]');
  });

  it('"alwaysOpen" on a block rule is refused as a policy/edit error that names alwaysOpen', () => {
    const base = basePolicy();
    const snapshot = structuredClone(base);
    const err = thrownBy(base, [{ op: 'addPortRule', rule: { action: 'block', alwaysOpen: true, protocol: 'tcp', ports: { from: 80, to: 80 }, profiles: ['public'] } }]);
    expect(err.message).toContain('alwaysOpen');
    // applyEdits documents EditError or PolicyValidationError, which the helper turns into a clear D-Bus error.
    expect(err.name).toMatch(/^(EditError|PolicyValidationError)$/);
    expect(base).toEqual(snapshot);
  });
});

describe('removePortRule', () => {
  it('removes the rule with that id only', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'removePortRule', id: 'rule-ssh' }], context());
    expect(out.portRules).toEqual([base.portRules[1]]);
  });

  it('an unknown id is an EditError naming the id', () => {
    const err = thrownBy(basePolicy(), [{ op: 'removePortRule', id: 'rule-nope' }]);
    expect(err).toBeInstanceOf(EditError);
    expect(err.message).toBe('no port rule with id "rule-nope"');
  });
});

// ---------------------------------------------------------------------------------------------
// Networks and interfaces

describe('setNetworkProfile', () => {
  it('changes a known network\'s profile and keeps its name and dates', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'setNetworkProfile', network: `nm:${UUID_HOME}`, profile: 'public' }], context());
    expect(out.networks).toEqual([{ ...base.networks[0], profile: 'public' }, base.networks[1]]);
  });

  it('finds a gateway network by its key', () => {
    const out = applyEdits(basePolicy(), [{ op: 'setNetworkProfile', network: 'gw:192.168.7.1@52:54:00:12:34:56', profile: 'private' }], context());
    expect(out.networks[1]).toMatchObject({ identity: GATEWAY, profile: 'private' });
  });

  it('an active network not known yet is remembered with its name and identity, first and last seen now', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'setNetworkProfile', network: `nm:${UUID_CAFE}`, profile: 'private' }], context([activeCafe()]));
    expect(out.networks).toHaveLength(3);
    expect(out.networks.slice(0, 2)).toEqual(base.networks);
    expect(out.networks[2]).toEqual({ name: 'Café Wi-Fi', identity: CAFE, profile: 'private', undecided: false, firstSeen: NOW, lastSeen: NOW });
  });

  it('a known network that is also active is updated, not added twice', () => {
    const active: ActiveNetwork = { interface: 'wlan0', identity: HOME, name: 'Home (renamed)', primary: true };
    const out = applyEdits(basePolicy(), [{ op: 'setNetworkProfile', network: `nm:${UUID_HOME}`, profile: 'public' }], context([active]));
    expect(out.networks).toHaveLength(2);
    expect(out.networks[0]).toMatchObject({ name: 'Home', profile: 'public', firstSeen: EARLIER });
  });

  it('a network neither known nor active is an EditError naming it', () => {
    const err = thrownBy(basePolicy(), [{ op: 'setNetworkProfile', network: `nm:${UUID_CAFE}`, profile: 'private' }]);
    expect(err).toBeInstanceOf(EditError);
    expect(err.message).toBe(`no network "nm:${UUID_CAFE}" is known or active`);
  });

  it('an active network with an empty name cannot be remembered: PolicyValidationError', () => {
    const err = thrownBy(basePolicy(), [{ op: 'setNetworkProfile', network: `nm:${UUID_CAFE}`, profile: 'private' }], context([{ ...activeCafe(), name: '' }]));
    expect(err).toBeInstanceOf(PolicyValidationError);
    expect(err.message).toContain('networks[2].name');
  });
});

describe('forgetNetwork', () => {
  it('forgets the named network only', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'forgetNetwork', network: `nm:${UUID_HOME}` }], context());
    expect(out.networks).toEqual([base.networks[1]]);
  });

  it('an unknown network is an EditError naming it', () => {
    const err = thrownBy(basePolicy(), [{ op: 'forgetNetwork', network: `nm:${UUID_CAFE}` }], context([activeCafe()]));
    expect(err).toBeInstanceOf(EditError);
    expect(err.message).toBe(`no known network "nm:${UUID_CAFE}"`);
  });
});

describe('pinInterface', () => {
  it('pins a new interface and keeps the other pins', () => {
    const out = applyEdits(basePolicy(), [{ op: 'pinInterface', interface: 'wg0', profile: 'public' }], context());
    expect(out.interfaces).toEqual({ eth1: 'private', wg0: 'public' });
  });

  it('re-pinning changes the profile', () => {
    const out = applyEdits(basePolicy(), [{ op: 'pinInterface', interface: 'eth1', profile: 'public' }], context());
    expect(out.interfaces).toEqual({ eth1: 'public' });
  });

  it('null unpins; unpinning an interface that is not pinned changes nothing', () => {
    expect(applyEdits(basePolicy(), [{ op: 'pinInterface', interface: 'eth1', profile: null }], context()).interfaces).toEqual({});
    expect(applyEdits(basePolicy(), [{ op: 'pinInterface', interface: 'eth9', profile: null }], context()).interfaces).toEqual({ eth1: 'private' });
  });
});

describe('restoreDefaults', () => {
  it('resets profiles, apps, rules and pins, and keeps the known networks', () => {
    const base = basePolicy();
    const out = applyEdits(base, [{ op: 'restoreDefaults' }], context());
    expect(out).toEqual({ ...defaultPolicy(), networks: base.networks });
    expect(out.apps).toEqual([]);
    expect(out.portRules).toEqual([]);
    expect(out.interfaces).toEqual({});
    expect(out.profiles.private).toMatchObject({ enabled: true, stealth: true, shieldsUp: false, answerPing: true });
    expect(out.profiles.public).toMatchObject({ enabled: true, stealth: true, shieldsUp: false, answerPing: false });
  });
});

// ---------------------------------------------------------------------------------------------
// Lists of edits

describe('several edits', () => {
  it('apply in order: a rule added and then removed in one call is gone', () => {
    const base = basePolicy();
    const out = applyEdits(base, [
      { op: 'addPortRule', rule: { id: 'tmp', action: 'allow', protocol: 'udp', ports: { from: 5353, to: 5353 }, profiles: ['private'] } },
      { op: 'removePortRule', id: 'tmp' },
    ], context());
    expect(out.portRules).toEqual(base.portRules);
  });

  it('apply in order: remove then add with the same id replaces a rule, the other order fails', () => {
    const replacement = { id: 'rule-ssh', action: 'allow' as const, protocol: 'tcp' as const, ports: { from: 2222, to: 2222 }, profiles: ['private' as ProfileName] };
    const out = applyEdits(basePolicy(), [{ op: 'removePortRule', id: 'rule-ssh' }, { op: 'addPortRule', rule: replacement }], context());
    expect(out.portRules.find((r) => r.id === 'rule-ssh')?.ports).toEqual({ from: 2222, to: 2222 });
    expect(thrownBy(basePolicy(), [{ op: 'addPortRule', rule: replacement }, { op: 'removePortRule', id: 'rule-ssh' }])).toBeInstanceOf(EditError);
  });

  it('a later edit sees an app an earlier one added', () => {
    const identity: AppIdentity = { kind: 'appimage', name: 'Obsidian' };
    const out = applyEdits(basePolicy(), [
      { op: 'setApp', identity, action: 'allow', profiles: ['private'] },
      { op: 'setApp', identity, action: 'block', profiles: ['public'] },
    ], context());
    expect(out.apps.filter((a) => a.identity.kind === 'appimage')).toEqual([{ id: 'app-new1', name: 'Obsidian', identity, action: 'block', profiles: ['public'] }]);
  });

  it('a failing edit in the middle throws and leaves the input policy untouched', () => {
    const base = basePolicy();
    const snapshot = structuredClone(base);
    const err = thrownBy(base, [
      { op: 'setProfile', profile: 'public', settings: { shieldsUp: true } },
      { op: 'removeApp', app: 'app-firefox' },
      { op: 'removePortRule', id: 'rule-nope' },
      { op: 'pinInterface', interface: 'wg0', profile: 'public' },
    ]);
    expect(err).toBeInstanceOf(EditError);
    expect(base).toEqual(snapshot);
  });

  it('returns a new object, also for an empty list of edits', () => {
    const base = basePolicy();
    const out = applyEdits(base, [], context());
    expect(out).toEqual(base);
    expect(out).not.toBe(base);
  });

  it('the result is always a complete, valid policy (a hand-built invalid input is refused)', () => {
    // A policy object that skipped validation and lists the same app twice under two looks.
    const broken = { ...basePolicy(), apps: [...basePolicy().apps, { id: 'app-tool-2', identity: TOOL_PY312, action: 'allow' as const, profiles: [] }] };
    const err = thrownBy(broken, [{ op: 'pinInterface', interface: 'wg0', profile: 'public' }]);
    expect(err).toBeInstanceOf(PolicyValidationError);
    expect(err.message).toContain('the same app is already listed as apps[1]');
  });

  // Edits drawn from a small world of names, so that many of them succeed and many fail.
  const profileArb = fc.constantFrom<ProfileName>('private', 'public');
  const appIdentityArb = fc.constantFrom<AppIdentity>(FIREFOX, TOOL_PY311, TOOL_PY312, { kind: 'snap', name: 'spotify' }, { kind: 'flatpak', appId: 'org.mozilla.firefox' });
  const ruleIdArb = fc.constantFrom('rule-ssh', 'rule-dns', 'app-firefox', 'r1', 'r2');
  const networkArb = fc.constantFrom(`nm:${UUID_HOME}`, `nm:${UUID_CAFE}`, 'gw:192.168.7.1@52:54:00:12:34:56', 'nm:nope');
  const editArb: fc.Arbitrary<PolicyEditInput> = fc.oneof(
    fc.record({ op: fc.constant('setProfile' as const), profile: profileArb, settings: fc.record({ stealth: fc.boolean(), shieldsUp: fc.boolean(), answerPing: fc.boolean() }, { requiredKeys: [] }) }),
    fc.record({ op: fc.constant('setApp' as const), identity: appIdentityArb, action: fc.constantFrom('allow' as const, 'block' as const), profiles: fc.array(profileArb, { maxLength: 3 }) }),
    fc.record({ op: fc.constant('removeApp' as const), app: fc.oneof(fc.constantFrom('app-firefox', 'app-tool', 'app-new1'), appIdentityArb) }),
    fc.record({
      op: fc.constant('addPortRule' as const),
      rule: fc.record({
        id: ruleIdArb, action: fc.constantFrom('allow' as const, 'block' as const), protocol: fc.constantFrom('tcp' as const, 'udp' as const, 'both' as const),
        ports: fc.integer({ min: 1, max: 65535 }).map((p) => ({ from: p, to: p })), profiles: fc.constant<ProfileName[]>(['private']),
      }, { requiredKeys: ['action', 'protocol', 'ports', 'profiles'] }),
    }),
    fc.record({ op: fc.constant('removePortRule' as const), id: ruleIdArb }),
    fc.record({ op: fc.constant('setNetworkProfile' as const), network: networkArb, profile: profileArb }),
    fc.record({ op: fc.constant('forgetNetwork' as const), network: networkArb }),
    fc.record({ op: fc.constant('pinInterface' as const), interface: fc.constantFrom('eth0', 'eth1', 'wg0'), profile: fc.option(profileArb, { nil: null }) }),
    fc.constant({ op: 'restoreDefaults' as const }),
  );

  it('property: never mutates its input; on success the result validates; on failure it throws EditError or PolicyValidationError', () => {
    fc.assert(fc.property(fc.array(editArb, { maxLength: 6 }), (edits) => {
      const base = deepFreeze(basePolicy());
      const snapshot = structuredClone(base);
      let out: Policy | undefined;
      try {
        out = applyEdits(base, edits, context([activeCafe()]));
      } catch (err) {
        expect(err instanceof EditError || err instanceof PolicyValidationError, String(err)).toBe(true);
      }
      expect(base).toEqual(snapshot);
      if (out) {
        expect(out).not.toBe(base);
        const again = validatePolicy(out);
        expect(again.ok).toBe(true);
        if (again.ok) expect(again.value).toEqual(out);
      }
    }), { numRuns: 300 });
  });

  it('property: when every edit succeeds on its own, one call with all of them gives the same policy', () => {
    fc.assert(fc.property(fc.array(editArb, { maxLength: 5 }), (edits) => {
      const ctx = context([activeCafe()]);
      let stepwise: Policy;
      try {
        stepwise = edits.reduce((p, e) => applyEdits(p, [e], ctx), basePolicy());
      } catch {
        return; // Some step was refused: a list may still pass as a whole (only the end result must validate).
      }
      expect(applyEdits(basePolicy(), edits, context([activeCafe()]))).toEqual(stepwise);
    }), { numRuns: 200 });
  });
});

// ---------------------------------------------------------------------------------------------
// The edit schema

describe('PolicyEditSchema', () => {
  const accepted: [string, unknown][] = [
    ['setProfile', { op: 'setProfile', profile: 'private', settings: { stealth: false } }],
    ['setApp', { op: 'setApp', identity: FIREFOX, action: 'allow', profiles: ['private'] }],
    ['removeApp by id', { op: 'removeApp', app: 'app-firefox' }],
    ['removeApp by identity', { op: 'removeApp', app: FIREFOX }],
    ['addPortRule without id', { op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: 1, to: 65535 }, profiles: ['public'] } }],
    ['removePortRule', { op: 'removePortRule', id: 'r1' }],
    ['setNetworkProfile', { op: 'setNetworkProfile', network: `nm:${UUID_HOME}`, profile: 'public' }],
    ['forgetNetwork', { op: 'forgetNetwork', network: `nm:${UUID_HOME}` }],
    ['pinInterface', { op: 'pinInterface', interface: 'eth0', profile: null }],
    ['restoreDefaults', { op: 'restoreDefaults' }],
  ];
  it.each(accepted)('accepts a well-formed %s edit', (_, edit) => {
    expect(PolicyEditSchema.safeParse(edit).success).toBe(true);
  });

  const refused: [string, unknown][] = [
    ['an unknown op', { op: 'deleteEverything' }],
    ['no op', { profile: 'private', settings: {} }],
    ['an extra key', { op: 'restoreDefaults', force: true }],
    ['an extra key on setApp', { op: 'setApp', identity: FIREFOX, action: 'allow', profiles: [], colour: 'red' }],
    ['a bad profile in setProfile', { op: 'setProfile', profile: 'work', settings: {} }],
    ['a bad profile in setApp', { op: 'setApp', identity: FIREFOX, action: 'allow', profiles: ['domain'] }],
    ['an unknown profile setting', { op: 'setProfile', profile: 'private', settings: { stealthy: true } }],
    ['a non-boolean setting', { op: 'setProfile', profile: 'private', settings: { stealth: 'yes' } }],
    ['port 0', { op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: 0, to: 10 }, profiles: ['public'] } }],
    ['port 65536', { op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: 1, to: 65536 }, profiles: ['public'] } }],
    ['a rule with no profile', { op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: 1, to: 1 }, profiles: [] } }],
    ['a rule with a bad remote', { op: 'addPortRule', rule: { action: 'allow', protocol: 'tcp', ports: { from: 1, to: 1 }, profiles: ['public'], remote: ['10.0.0.1/8'] } }],
    ['a bad action', { op: 'setApp', identity: FIREFOX, action: 'maybe', profiles: [] }],
    ['a relative executable path', { op: 'setApp', identity: { kind: 'executable', path: 'bin/x' }, action: 'allow', profiles: [] }],
    ['a name over 128 characters', { op: 'setApp', identity: FIREFOX, name: 'x'.repeat(129), action: 'allow', profiles: [] }],
    ['a bad rule id to remove', { op: 'removePortRule', id: '-starts-with-dash' }],
    ['an empty network key', { op: 'setNetworkProfile', network: '', profile: 'public' }],
    ['a bad interface name', { op: 'pinInterface', interface: 'eth 0', profile: 'public' }],
    ['a missing pin profile', { op: 'pinInterface', interface: 'eth0' }],
  ];
  it.each(refused)('refuses %s', (_, edit) => {
    expect(PolicyEditSchema.safeParse(edit).success).toBe(false);
  });

  it('applyEdits refuses a malformed edit and changes nothing', () => {
    const base = basePolicy();
    const snapshot = structuredClone(base);
    expect(() => applyEdits(base, [{ op: 'setProfile', profile: 'private', settings: {} }, { op: 'bogus' } as unknown as PolicyEditInput], context())).toThrow();
    expect(base).toEqual(snapshot);
  });
});
