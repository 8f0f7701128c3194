// Runs in the lab's outside namespace and watches one TCP port from the outside: it opens a new
// connection every couple of milliseconds and reports the first time the port answers the way it
// was asked to wait for ("open": the connection is accepted; "refused": a reset comes back).
// Commands arrive as JSON lines on stdin; each answer is a JSON line with process.hrtime in ns
// (CLOCK_MONOTONIC, the same clock in every process on the machine).
'use strict';
const net = require('node:net');
const readline = require('node:readline');

const INTERVAL_MS = 2;

function watch({ host, port, want }) {
  let done = false;
  const sockets = new Set();
  const finish = (at) => {
    if (done) return;
    done = true;
    clearInterval(timer);
    for (const s of sockets) s.destroy();
    process.stdout.write(`${JSON.stringify({ port, want, at: at.toString() })}\n`);
  };
  const attempt = () => {
    const socket = net.connect({ host, port });
    sockets.add(socket);
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => { if (want === 'open') finish(process.hrtime.bigint()); socket.destroy(); });
    socket.once('error', (err) => { if (want === 'refused' && err.code === 'ECONNREFUSED') finish(process.hrtime.bigint()); });
    socket.once('close', () => sockets.delete(socket));
  };
  const timer = setInterval(attempt, INTERVAL_MS);
  attempt();
}

readline.createInterface({ input: process.stdin }).on('line', (line) => watch(JSON.parse(line)));
process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
