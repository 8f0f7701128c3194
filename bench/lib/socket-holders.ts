// 10,000 sockets in the lab's host namespace, held by four processes: TCP listeners, bound UDP
// sockets and established TCP pairs, IPv4 and IPv6, on wildcard, loopback and link addresses.
import { fileURLToPath } from 'node:url';
import type { Lab } from '../../test/lab/lab';
import { LineProcess } from './line-process';

const HOLDER_SCRIPT = fileURLToPath(new URL('./socket-holder.cjs', import.meta.url));

interface Range { host: string; firstPort: number; count: number }
export interface HolderPlan { tcp?: Range; udp?: Range; pairs?: { host: string; port: number; count: number } }

export interface SocketMix {
  /** Sockets in all, what `ss -tuapn` should list. */
  total: number;
  /** TCP LISTEN + UDP unconnected: what the helper's poll dumps. */
  listening: number;
  established: number;
  plans: HolderPlan[];
}

/**
 * A busy machine's 10,000 sockets, most of them connections: per holder 99 + 1 TCP listeners,
 * 100 bound UDP sockets and 1,150 connections (2,300 sockets) = 2,500.
 */
export function standardMix(lab: Lab): SocketMix {
  const link = lab.links[0];
  if (!link) throw new Error('the socket mix needs a lab with one link');
  const hosts = [
    { tcp: '0.0.0.0', udp: '0.0.0.0', pairs: '127.0.0.1' },
    { tcp: '::', udp: '::', pairs: '::1' },
    { tcp: link.hostV4, udp: '127.0.0.1', pairs: link.hostV4 },
    { tcp: link.hostV6, udp: '::1', pairs: link.hostV6 },
  ];
  const plans = hosts.map((h, i): HolderPlan => ({
    tcp: { host: h.tcp, firstPort: 10_000 + i * 100, count: 99 },
    udp: { host: h.udp, firstPort: 20_000 + i * 100, count: 100 },
    pairs: { host: h.pairs, port: 30_000 + i, count: 1_150 },
  }));
  return { total: 10_000, listening: 800, established: 9_200, plans };
}

/** Every socket listening: the worst case for the helper's poll. Four holders of 2,500. */
export function allListeningMix(lab: Lab): SocketMix {
  const link = lab.links[0];
  if (!link) throw new Error('the socket mix needs a lab with one link');
  const hosts = ['0.0.0.0', '::', link.hostV4, link.hostV6];
  const plans = hosts.map((host, i): HolderPlan => ({
    tcp: { host, firstPort: 10_000 + i * 1_500, count: 1_500 },
    udp: { host, firstPort: 20_000 + i * 1_000, count: 1_000 },
  }));
  return { total: 10_000, listening: 10_000, established: 0, plans };
}

export interface SocketHolders {
  pids: number[];
  stop(): void;
}

/** Starts one holder per plan in the lab's host namespace; resolves once every socket is held. */
export async function startSocketHolders(lab: Lab, mix: SocketMix): Promise<SocketHolders> {
  const started: LineProcess[] = [];
  const stop = () => { for (const holder of started) holder.kill(); };
  try {
    for (const plan of mix.plans) {
      // Each holder needs more descriptors than the default soft limit of 1,024.
      const child = lab.spawn('host', ['prlimit', '--nofile=8192:8192', '--', process.execPath, HOLDER_SCRIPT], { stdin: 'pipe', env: { ...process.env, HOLDER_PLAN: JSON.stringify(plan) } });
      const holder = await LineProcess.start(child);
      started.push(holder);
    }
    // `ip netns exec` and prlimit exec the holder: the child's pid is the holder's.
    return { pids: started.map((h) => h.child.pid ?? -1), stop };
  } catch (err) {
    stop();
    throw err;
  }
}
