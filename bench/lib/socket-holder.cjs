#!/usr/bin/env node
// Holds many TCP/UDP sockets for the socket benchmarks: `HOLDER_PLAN='<plan>' node socket-holder.cjs`,
// where the plan is {"tcp":{"host","firstPort","count"},"udp":{...},"pairs":{"host","port","count"}}
// (in the environment, so that the command line stays as short as a typical server's).
// `tcp` listens, `udp` binds (unconnected), `pairs` listens on one more port and connects `count`
// clients to it, keeping both ends (2 × count established sockets). Prints {"ready":true,...}
// once everything is bound and accepted, then holds until stdin closes or it is killed.
// Needs RLIMIT_NOFILE above the socket count (start it under `prlimit --nofile=…`).
'use strict';
const net = require('node:net');
const dgram = require('node:dgram');

const plan = JSON.parse(process.env.HOLDER_PLAN || '{}');
const held = [];

const isV6 = (host) => host.includes(':');
/** Where a client reaches a wildcard listener. */
const connectHost = (host) => (host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host);

function listenTcp(host, port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host, port, exclusive: true, backlog: 1024 }, () => resolve(server));
  });
}

function bindUdp(host, port) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(isV6(host) ? 'udp6' : 'udp4');
    sock.once('error', reject);
    sock.bind({ address: host, port, exclusive: true }, () => resolve(sock));
  });
}

/** Binds in batches: thousands of binds at once would only queue up in libuv anyway. */
async function inBatches(count, make) {
  for (let start = 0; start < count; start += 250) {
    const batch = [];
    for (let i = start; i < Math.min(count, start + 250); i++) batch.push(make(i));
    held.push(...(await Promise.all(batch)));
  }
}

async function connectPairs({ host, port, count }) {
  const server = await listenTcp(host, port);
  held.push(server);
  const accepted = new Promise((resolve) => {
    let n = 0;
    server.on('connection', (conn) => {
      held.push(conn);
      if (++n === count) resolve();
    });
  });
  await inBatches(count, () => new Promise((resolve, reject) => {
    const client = net.connect({ host: connectHost(host), port }, () => resolve(client));
    client.once('error', reject);
  }));
  await accepted;
}

async function main() {
  if (plan.tcp) await inBatches(plan.tcp.count, (i) => listenTcp(plan.tcp.host, plan.tcp.firstPort + i));
  if (plan.udp) await inBatches(plan.udp.count, (i) => bindUdp(plan.udp.host, plan.udp.firstPort + i));
  if (plan.pairs) await connectPairs(plan.pairs);
  const sockets = (plan.tcp?.count ?? 0) + (plan.udp?.count ?? 0) + (plan.pairs ? 1 + 2 * plan.pairs.count : 0);
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, sockets })}\n`);
}

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ ready: false, error: String(err && err.message) })}\n`);
  process.exit(1);
});
// The benchmark holds stdin open: when it goes (even killed), the holder goes too.
process.stdin.on('end', () => process.exit(0)).resume();
process.on('SIGTERM', () => process.exit(0));
