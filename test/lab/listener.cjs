#!/usr/bin/env node
// A real TCP/UDP listener for the lab: `node listener.cjs '<json array of specs>'`.
// Each spec: { protocol: "tcp"|"udp", address, port, v6Only?, echo? }. Prints one JSON line
// {"ready":true} once every socket is bound, then serves until killed. TCP accepts and closes;
// UDP stays silent unless `echo` is set, in which case it answers every datagram.
'use strict';
const net = require('node:net');
const dgram = require('node:dgram');

const specs = JSON.parse(process.argv[2] || '[]');

function bindOne(spec) {
  const isV6 = spec.address.includes(':');
  return new Promise((resolve, reject) => {
    if (spec.protocol === 'tcp') {
      const server = net.createServer((conn) => conn.on('error', () => {}).end());
      server.once('error', reject);
      server.listen({ host: spec.address, port: spec.port, ipv6Only: Boolean(spec.v6Only), exclusive: true }, () => resolve(server));
    } else {
      const sock = dgram.createSocket({ type: isV6 ? 'udp6' : 'udp4', ipv6Only: Boolean(spec.v6Only) });
      sock.once('error', reject);
      if (spec.echo) sock.on('message', (msg, rinfo) => sock.send(msg.length ? msg : Buffer.from('pong'), rinfo.port, rinfo.address));
      sock.bind({ address: spec.address, port: spec.port, exclusive: true }, () => resolve(sock));
    }
  });
}

Promise.all(specs.map(bindOne)).then(
  () => process.stdout.write(JSON.stringify({ ready: true, pid: process.pid }) + '\n'),
  (err) => {
    process.stdout.write(JSON.stringify({ ready: false, error: String(err && err.message) }) + '\n');
    process.exit(1);
  },
);
process.on('SIGTERM', () => process.exit(0));
