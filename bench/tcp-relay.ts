// The floor of any proxy on this machine: a TCP relay with no logic at all (no HTTP parsing, no
// checks), forwarding each client connection to the upstream. `npm run bench` measures it in the
// same run as the direct path and Gatehouse, so the cost of one more process and loopback hop,
// which every gateway pays, is seen apart from what Gatehouse adds on top of it.
// Run as a child process: `node bench/tcp-relay.ts <upstream url>`; prints its own URL, stops on SIGTERM.
import net from 'node:net';

const upstream = new URL(process.argv[2] ?? '');
const relay = net.createServer((client) => {
  const server = net.connect(Number(upstream.port), upstream.hostname);
  client.setNoDelay(true);
  server.setNoDelay(true);
  client.pipe(server).on('error', () => client.destroy());
  server.pipe(client).on('error', () => server.destroy());
  client.on('error', () => server.destroy());
  server.on('error', () => client.destroy());
});
relay.listen(0, '127.0.0.1', () => {
  const { port } = relay.address() as net.AddressInfo;
  process.stdout.write(`http://127.0.0.1:${port}${upstream.pathname}\n`);
});
process.on('SIGTERM', () => process.exit(0));
