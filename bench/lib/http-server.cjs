// The server of the packet-path benchmark: answers every connection with a tiny HTTP response
// and closes it, with as little work per connection as Node allows (no http module), so the
// connection rate shows what the firewall costs rather than what a server costs.
'use strict';
const net = require('node:net');

const RESPONSE = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok');
const port = Number(process.argv[2]);
const server = net.createServer({ noDelay: true }, (socket) => {
  socket.once('data', () => socket.end(RESPONSE));
  socket.on('error', () => socket.destroy());
});
server.listen({ port, host: '0.0.0.0', backlog: 4096 }, () => process.stdout.write(`${JSON.stringify({ ready: true })}\n`));
