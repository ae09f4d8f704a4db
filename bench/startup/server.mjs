// A loopback HTTP server in its own process (the benchmark blocks while it times child processes).
import http from 'node:http';

const server = http.createServer((_req, res) => res.end('ok'));
server.listen(0, '127.0.0.1', () => process.stdout.write(`${server.address().port}\n`));
