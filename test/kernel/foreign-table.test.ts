// Palisade owns one table and touches nothing else: a foreign table (shaped like Docker's) is
// byte-identical after Palisade applies, after a refused apply, and after Palisade's table goes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePolicy } from '../../shared/policy/validate';
import { compileRuleset } from '../../shared/compiler/ruleset';
import { emptyRuntime } from '../../shared/runtime/state';
import { nftDocument, type NftDocument } from '../../shared/nft/json';
import { NftAdapter } from '../../electron/helper/nft';
import { Lab } from '../lab/lab';

const DOCKER_LIKE = `
table ip docker-bridges {
  set published { type ipv4_addr . inet_service; elements = { 172.17.0.2 . 8080, 172.17.0.3 . 5432 } }
  chain forward { type filter hook forward priority filter; policy accept;
    iifname "docker0" oifname != "docker0" counter accept
    ip daddr . tcp dport @published counter accept
  }
}
table ip nat {
  chain PREROUTING { type nat hook prerouting priority dstnat; policy accept;
    fib daddr type local counter jump DOCKER
  }
  chain DOCKER {
    iifname != "docker0" tcp dport 8080 counter dnat to 172.17.0.2:80
  }
  chain POSTROUTING { type nat hook postrouting priority srcnat; policy accept;
    ip saddr 172.17.0.0/16 oifname != "docker0" counter masquerade
  }
}
table inet filter {
  chain input { type filter hook input priority filter; policy accept;
    tcp dport 9999 counter drop comment "someone else's rule"
  }
}
`;

let lab: Lab;
let nft: NftAdapter;

beforeAll(async () => {
  lab = await Lab.create({ links: 1 });
  nft = new NftAdapter({ command: lab.inNamespace('host', ['nft']) });
  await lab.exec('host', ['nft', '-f', '-'], { input: DOCKER_LIKE });
});
afterAll(async () => { await lab?.destroy(); });

/** Everything but Palisade's table, as text with handles and as JSON. */
async function foreignState(): Promise<string> {
  const tables = ['ip docker-bridges', 'ip nat', 'inet filter'];
  const parts: string[] = [];
  for (const t of tables) {
    parts.push((await lab.exec('host', ['nft', '-a', 'list', 'table', ...t.split(' ')])).stdout);
    parts.push((await lab.exec('host', ['nft', '-j', '-a', 'list', 'table', ...t.split(' ')])).stdout);
  }
  return parts.join('\n');
}

describe('coexistence with foreign tables', () => {
  it('leaves a docker-like table byte-identical through apply, a refused apply, and removal', async () => {
    const before = await foreignState();
    expect(before).toContain('dnat to 172.17.0.2:80');

    const policy = parsePolicy({ version: 1, portRules: [{ id: 'web', action: 'allow', protocol: 'tcp', ports: { from: 80, to: 80 }, profiles: ['public'] }] });
    const doc = compileRuleset(policy, { ...emptyRuntime(), interfaces: { h0: 'private' } });
    await nft.apply(doc);
    expect(await nft.readTable()).not.toBeNull();
    expect(await foreignState()).toBe(before);

    const refused: NftDocument = nftDocument([...doc.nftables.slice(1), { add: { rule: { family: 'inet', table: 'palisade', chain: 'input', expr: [{ goto: { target: 'nowhere' } }] } } }] as NftDocument['nftables']);
    await expect(nft.apply(refused)).rejects.toThrow(/nft check failed/);
    expect(await foreignState()).toBe(before);

    await nft.removeTable();
    expect(await nft.readTable()).toBeNull();
    expect(await foreignState()).toBe(before);
    const tables = (await lab.exec('host', ['nft', 'list', 'tables'])).stdout.trim().split('\n').sort();
    expect(tables).toEqual(['table inet filter', 'table ip docker-bridges', 'table ip nat']);
  });
});
