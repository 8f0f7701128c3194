// Which profile each interface gets: pins win, remembered networks give their profile, anything
// new (or no network at all) is Public, and the user is asked once per unknown network.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { assignProfiles, type ActiveNetwork } from '../../shared/runtime/networks';
import { parsePolicy } from '../../shared/policy/validate';
import type { NetworkIdentity, Policy, PolicyInput, ProfileName } from '../../shared/policy/schema';

const UUID_HOME = '0b0c1b5e-7a1c-4f7e-9a55-6a7f9c2d1e00';
const UUID_OFFICE = 'a3d5c7e9-1b2d-4f6a-8c0e-2d4f6a8c0e1b';
const UUID_CAFE = 'c2a1f5d3-3b4e-4c6d-8e7f-9a0b1c2d3e4f';
const nm = (uuid: string, extra: { ssid?: string; bssid?: string } = {}): NetworkIdentity => ({ kind: 'networkmanager', uuid, ...extra });
const gw = (address: string, mac = '52:54:00:12:34:56'): NetworkIdentity => ({ kind: 'gateway', address, mac });

const HOME = nm(UUID_HOME, { ssid: 'home' });
const OFFICE = nm(UUID_OFFICE);
const CAFE = nm(UUID_CAFE, { ssid: 'cafe' });

function active(iface: string, identity: NetworkIdentity, name = 'net', primary = false): ActiveNetwork {
  return { interface: iface, identity, name, primary };
}

function policyOf(networks: [NetworkIdentity, ProfileName][], interfaces: Record<string, ProfileName> = {}, extra: Omit<PolicyInput, 'version'> = {}): Policy {
  return parsePolicy({ version: 1, networks: networks.map(([identity, profile], i) => ({ name: `n${i}`, identity, profile })), interfaces, ...extra });
}

describe('assignProfiles', () => {
  it('a remembered network gives its interface the remembered profile, and nothing is unknown', () => {
    const policy = policyOf([[HOME, 'private'], [OFFICE, 'public']]);
    const result = assignProfiles(policy, [active('wlan0', HOME), active('eth0', OFFICE)], ['lo', 'eth0', 'wlan0']);
    expect(result.interfaces).toEqual({ lo: 'public', eth0: 'public', wlan0: 'private' });
    expect(result.unknown).toEqual([]);
  });

  it('trusted Ethernet and café Wi-Fi at once: Private on one, Public on the other', () => {
    const cafe = active('wlan0', CAFE, 'Café');
    const result = assignProfiles(policyOf([[HOME, 'private']]), [active('eth0', HOME), cafe], ['eth0', 'wlan0']);
    expect(result.interfaces).toEqual({ eth0: 'private', wlan0: 'public' });
    expect(result.unknown).toEqual([cafe]);
  });

  it('an unknown network is Public and listed once, even when it is on two interfaces', () => {
    const first = active('eth0', CAFE, 'Café', true);
    const second = active('eth1', CAFE, 'Café');
    const result = assignProfiles(policyOf([]), [first, second], ['eth0', 'eth1']);
    expect(result.interfaces).toEqual({ eth0: 'public', eth1: 'public' });
    expect(result.unknown).toEqual([first]);
  });

  it('two different unknown networks are both listed, in order', () => {
    const a = active('eth0', CAFE);
    const b = active('wlan0', gw('10.1.1.1'));
    expect(assignProfiles(policyOf([]), [a, b], []).unknown).toEqual([a, b]);
  });

  it('the same unknown network written two ways (uuid case) is listed once', () => {
    const a = active('eth0', nm(UUID_CAFE));
    const b = active('eth1', nm(UUID_CAFE.toUpperCase()));
    expect(assignProfiles(policyOf([]), [a, b], []).unknown).toEqual([a]);
  });

  it('interfaces with no network are Public', () => {
    const result = assignProfiles(policyOf([[HOME, 'private']]), [active('eth0', HOME)], ['eth0', 'docker0', 'virbr0']);
    expect(result.interfaces).toEqual({ eth0: 'private', docker0: 'public', virbr0: 'public' });
  });

  it('no interfaces and no networks: nothing assigned, nothing unknown', () => {
    expect(assignProfiles(policyOf([[HOME, 'private']]), [])).toEqual({ interfaces: {}, unknown: [] });
  });

  it('an active network on an interface not in the list is still assigned', () => {
    expect(assignProfiles(policyOf([[HOME, 'private']]), [active('wlan0', HOME)], ['eth0']).interfaces).toEqual({ eth0: 'public', wlan0: 'private' });
  });

  it('a pinned interface keeps its profile whatever network it joins', () => {
    const policy = policyOf([[HOME, 'private']], { eth0: 'public', wlan0: 'private' });
    const cafe = active('wlan0', CAFE);
    const result = assignProfiles(policy, [active('eth0', HOME), cafe], ['eth0', 'wlan0']);
    expect(result.interfaces).toEqual({ eth0: 'public', wlan0: 'private' });
    // The network is still new to the machine: the user is still asked about it.
    expect(result.unknown).toEqual([cafe]);
  });

  it('a pinned interface with no network, or not present now, still gets its pin', () => {
    const result = assignProfiles(policyOf([], { wg0: 'private', tun9: 'private' }), [], ['eth0', 'wg0']);
    expect(result.interfaces).toEqual({ eth0: 'public', wg0: 'private', tun9: 'private' });
  });

  describe('network keys are canonical, so a remembered network is found however it is written', () => {
    const cases: [string, NetworkIdentity, NetworkIdentity][] = [
      ['IPv6 gateway, zeros compressed differently', gw('fd00:0:0:0::1'), gw('fd00::1')],
      ['IPv6 gateway, upper vs lower case', gw('FD00::AB'), gw('fd00::ab')],
      ['IPv6 gateway, leading zeros', gw('fd00:0000:0000::0001'), gw('fd00::1')],
      ['NetworkManager uuid, upper vs lower case', nm(UUID_HOME.toUpperCase()), nm(UUID_HOME)],
      ['NetworkManager uuid, lower vs upper case', nm(UUID_HOME), nm(UUID_HOME.toUpperCase())],
      ['NetworkManager, different SSID/BSSID details', nm(UUID_HOME, { ssid: 'home' }), nm(UUID_HOME, { bssid: '52:54:00:aa:bb:cc' })],
    ];
    it.each(cases)('%s', (_, remembered, seen) => {
      const net = active('wlan0', seen);
      const result = assignProfiles(policyOf([[remembered, 'private']]), [net], ['wlan0']);
      expect(result.interfaces).toEqual({ wlan0: 'private' });
      expect(result.unknown).toEqual([]);
    });

    it('a gateway with the same address but another MAC is another network', () => {
      const net = active('eth0', gw('192.168.1.1', '52:54:00:00:00:02'));
      const result = assignProfiles(policyOf([[gw('192.168.1.1', '52:54:00:00:00:01'), 'private']]), [net], ['eth0']);
      expect(result.interfaces).toEqual({ eth0: 'public' });
      expect(result.unknown).toEqual([net]);
    });
  });

  it('property: every listed interface gets a profile; pins always win; unknown has no duplicates and only unremembered networks', () => {
    const ifaceArb = fc.constantFrom('eth0', 'eth1', 'wlan0', 'wg0');
    const identityArb = fc.constantFrom(HOME, OFFICE, CAFE, gw('192.168.1.1'), gw('fd00::1'));
    const profileArb = fc.constantFrom<ProfileName>('private', 'public');
    fc.assert(fc.property(
      fc.uniqueArray(fc.tuple(identityArb, profileArb), { selector: ([id]) => JSON.stringify(id), maxLength: 3 }),
      fc.dictionary(ifaceArb, profileArb, { maxKeys: 2 }),
      fc.array(fc.tuple(ifaceArb, identityArb), { maxLength: 4 }),
      fc.uniqueArray(ifaceArb, { maxLength: 4 }),
      (remembered, pins, seen, listed) => {
        const policy = policyOf(remembered, pins);
        const nets = seen.map(([iface, identity]) => active(iface, identity));
        const result = assignProfiles(policy, nets, listed);
        for (const iface of listed) expect(['private', 'public']).toContain(result.interfaces[iface]);
        for (const [iface, profile] of Object.entries(pins)) expect(result.interfaces[iface]).toBe(profile);
        const keys = result.unknown.map((u) => JSON.stringify(u.identity));
        expect(new Set(keys).size).toBe(keys.length);
        const rememberedKeys = new Set(remembered.map(([id]) => JSON.stringify(id)));
        for (const k of keys) expect(rememberedKeys.has(k)).toBe(false);
        for (const net of nets) {
          if (net.interface in pins) continue;
          const hit = remembered.find(([id]) => JSON.stringify(id) === JSON.stringify(net.identity));
          // The last network reported on an interface decides it; check only interfaces with one network.
          if (nets.filter((n) => n.interface === net.interface).length === 1) expect(result.interfaces[net.interface]).toBe(hit ? hit[1] : 'public');
        }
      },
    ), { numRuns: 300 });
  });
});
