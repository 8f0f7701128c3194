#!/usr/bin/env node
// Real sockets for the UI benchmark, held by one process in a lab namespace. The configuration
// comes in PALISADE_HOLDER (JSON) so the command line stays as short as a real program's:
//   tcpListen  [{ address, from, count }]       listeners on ports from..from+count-1
//   udpBind    [{ address, from, count }]       bound, unconnected UDP sockets
//   connect    [{ address, ports: [a, b], count }]  outbound connections, held; one the peer
//              closes is opened again, so the number stays the same
//   closeAcceptedPerSecond, udpChurnPerSecond   churn while "churn" is on (a line on stdin;
//              "calm" stops it): accepted connections closed by this side (the peer reconnects),
//              ephemeral UDP sockets opened with the oldest closed
// Prints {"ready":true,"pid":…,"sockets":…} once everything is bound and connected.
'use strict';
const net = require('node:net');
const dgram = require('node:dgram');
const readline = require('node:readline');

const config = JSON.parse(process.env.PALISADE_HOLDER || '{}');
const held = [];
const accepted = [];
const ephemeral = [];
let stopping = false;
let churning = false;

function listenTcp(address, port) {
  return new Promise((resolve, reject) => {
    const server = net.createServer((conn) => {
      conn.on('error', () => {});
      accepted.push(conn);
      conn.once('close', () => {
        const i = accepted.indexOf(conn);
        if (i >= 0) accepted.splice(i, 1);
      });
    });
    server.once('error', reject);
    server.listen({ host: address, port, backlog: 1024, exclusive: true }, () => resolve(server));
  });
}

function bindUdp(address, port) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
    sock.once('error', reject);
    sock.bind({ address, port, exclusive: true }, () => resolve(sock));
  });
}

/** A held connection: when the peer closes it, another takes its place. */
function connectHeld(address, port) {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: address, port });
    sock.setNoDelay(true);
    sock.on('data', () => {});
    let connected = false;
    sock.once('connect', () => { connected = true; resolve(sock); });
    sock.on('error', (err) => { if (!connected) reject(err); });
    sock.once('close', () => {
      if (connected && !stopping) setImmediate(() => void connectHeld(address, port).catch(() => {}));
    });
  });
}

/** Runs the jobs a batch at a time: thousands of connects at once would overflow the backlogs. */
async function inBatches(jobs, size) {
  const results = [];
  for (let i = 0; i < jobs.length; i += size) results.push(...(await Promise.all(jobs.slice(i, i + size).map((job) => job()))));
  return results;
}

function churnTick(fraction) {
  const closing = Math.round((config.closeAcceptedPerSecond || 0) * fraction);
  for (let i = 0; i < closing && accepted.length > 0; i++) {
    const conn = accepted[Math.floor(Math.random() * accepted.length)];
    conn.destroy();
  }
  const udp = Math.round((config.udpChurnPerSecond || 0) * fraction);
  for (let i = 0; i < udp; i++) {
    const sock = dgram.createSocket('udp4');
    sock.bind(0, '0.0.0.0');
    ephemeral.push(sock);
    if (ephemeral.length > udp * 10) ephemeral.shift().close();
  }
}

async function main() {
  const jobs = [];
  for (const l of config.tcpListen || []) for (let i = 0; i < l.count; i++) jobs.push(() => listenTcp(l.address, l.from + i));
  for (const u of config.udpBind || []) for (let i = 0; i < u.count; i++) jobs.push(() => bindUdp(u.address, u.from + i));
  held.push(...(await inBatches(jobs, 512)));
  const connects = [];
  for (const c of config.connect || []) {
    const [from, to] = c.ports;
    for (let i = 0; i < c.count; i++) connects.push(() => connectHeld(c.address, from + (i % (to - from + 1))));
  }
  held.push(...(await inBatches(connects, 256)));
  // Ten ticks a second: churn arrives as a steady trickle, as on a busy machine.
  setInterval(() => { if (churning) churnTick(0.1); }, 100);
  process.stdout.write(`${JSON.stringify({ ready: true, pid: process.pid, sockets: held.length })}\n`);
}

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === 'churn') churning = true;
  if (line.trim() === 'calm') {
    churning = false;
    while (ephemeral.length > 0) ephemeral.shift().close();
  }
});
process.stdin.on('end', () => { stopping = true; process.exit(0); });
process.on('SIGTERM', () => { stopping = true; process.exit(0); });

main().catch((err) => {
  process.stdout.write(`${JSON.stringify({ ready: false, error: String(err && err.message) })}\n`);
  process.exit(1);
});
