// Entry point of the API front thread (see apiFront.ts).
import http from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';
import type { ApiFrontOptions, FromApiFront, ToApiFront } from './apiFront.ts';

const port = parentPort;
if (port === null) throw new Error('apiFrontMain.ts runs as a worker thread');
const options = workerData as ApiFrontOptions;
const send = (message: FromApiFront): void => {
  port.postMessage(message);
};

let health: { body: Record<string, unknown>; at: number } | undefined;
// Hop-by-hop headers are the front's own business, not the upstream's.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection']);
const upstream = new http.Agent({ keepAlive: true, maxSockets: 256 });

function answerHealth(res: http.ServerResponse): void {
  const now = Date.now();
  const body =
    health === undefined
      ? { status: 'starting', statusAgeMs: null }
      : { ...health.body, statusAgeMs: now - health.at };
  res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
}

function passOn(req: http.IncomingMessage, res: http.ServerResponse): void {
  const headers: http.OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(req.headers))
    if (!HOP_BY_HOP.has(name) && value !== undefined) headers[name] = value;
  // The client's own address, never one it claims: the app keys rate limits on it.
  headers['x-forwarded-for'] = req.socket.remoteAddress ?? '';
  const forward = http.request(
    {
      host: '127.0.0.1',
      port: options.upstreamPort,
      method: req.method,
      path: req.url,
      headers,
      agent: upstream,
    },
    (answer) => {
      const out: http.OutgoingHttpHeaders = {};
      for (const [name, value] of Object.entries(answer.headers))
        if (!HOP_BY_HOP.has(name) && value !== undefined) out[name] = value;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    },
  );
  forward.on('error', () => {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.writeHead(502, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify({ error: 'the pipeline process did not answer', retriable: true }));
  });
  // The client went away before its answer: abort what was passed on (cancels analyst queries).
  res.on('close', () => {
    if (!res.writableFinished) forward.destroy();
  });
  req.pipe(forward);
}

const server = http.createServer((req, res) => {
  if (req.method === 'GET' && (req.url === '/health' || req.url?.startsWith('/health?') === true))
    answerHealth(res);
  else passOn(req, res);
});
server.on('error', (error) => {
  send({
    type: 'failed',
    error: `cannot listen on ${options.host}:${String(options.port)}: ${error.message}`,
  });
});
server.listen(options.port, options.host, () => {
  const address = server.address();
  const bound = typeof address === 'object' && address !== null ? address.port : options.port;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  send({ type: 'listening', url: `http://${host}:${String(bound)}` });
});

port.on('message', (message: ToApiFront) => {
  if (message.type === 'health') health = { body: message.body, at: message.at };
  else {
    server.close(() => {
      upstream.destroy();
      send({ type: 'closed' });
    });
    server.closeAllConnections();
  }
});
