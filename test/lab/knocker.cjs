#!/usr/bin/env node
// Sends port knocks, one packet each: `node knocker.cjs '<json>'` with
// { target, knocks: [{ protocol: "tcp"|"udp", port, delayMs? }] }. A TCP knock is one SYN (the
// connecting socket is destroyed before the kernel would retransmit); a UDP knock is one
// datagram. `delayMs` waits before that knock. Prints {"sent":N} when done.
'use strict';
const net = require('node:net');
const dgram = require('node:dgram');

const { target, knocks } = JSON.parse(process.argv[2] || '{}');
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
// The kernel retransmits an unanswered SYN after one second; the socket is gone well before.
const SYN_HOLD_MS = 150;

function tcpKnock(port) {
  return new Promise((resolve) => {
    const sock = net.connect({ host: target, port });
    sock.on('error', () => {});
    setTimeout(() => { sock.destroy(); resolve(); }, SYN_HOLD_MS);
  });
}

function udpKnock(port) {
  return new Promise((resolve, reject) => {
    const sock = dgram.createSocket(target.includes(':') ? 'udp6' : 'udp4');
    sock.on('error', () => {});
    sock.send(Buffer.from('knock'), port, target, (err) => {
      sock.close();
      if (err) reject(err);
      else resolve();
    });
  });
}

(async () => {
  for (const k of knocks) {
    if (k.delayMs) await sleep(k.delayMs);
    if (k.protocol === 'tcp') await tcpKnock(k.port);
    else await udpKnock(k.port);
  }
  process.stdout.write(JSON.stringify({ sent: knocks.length }) + '\n');
})().catch((err) => {
  process.stderr.write(String(err && err.stack) + '\n');
  process.exit(1);
});
