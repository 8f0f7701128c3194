// The "allowed app" of the listen()-to-reachable benchmark: it listens on a port when told to and
// reports when listen() returned, in process.hrtime ns (the clock the prober uses too).
'use strict';
const net = require('node:net');
const readline = require('node:readline');

const servers = new Map();
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);

readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const { op, port } = JSON.parse(line);
  if (op === 'listen') {
    const server = net.createServer((c) => c.destroy());
    server.listen({ port, host: '::' }, () => say({ op, port, at: process.hrtime.bigint().toString() }));
    servers.set(port, server);
  } else if (op === 'close') {
    servers.get(port)?.close(() => say({ op, port }));
    servers.delete(port);
  }
});
say({ ready: true });
