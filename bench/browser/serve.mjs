// Static file server for the browser benchmark, like GitLab Pages serves a metricdict site:
// a precompressed `<file>.gz` twin is sent with `Content-Encoding: gzip` when the client accepts
// gzip; any other file is gzipped on the fly for such a client (text types only); `/dir/` serves
// `/dir/index.html`; the query string is ignored for the file lookup. No dependencies.
//
//   node serve.mjs ROOT [PORT]      # PORT 0 (default) picks a free one
//
// Prints `listening http://127.0.0.1:PORT/` on stdout once it accepts connections.
import { createServer } from 'node:http';
import { createReadStream, promises as fs } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const root = path.resolve(process.argv[2] || '.');
const port = Number(process.argv[3] || 0);

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.csv': 'text/csv; charset=utf-8', '.xml': 'application/xml',
  '.txt': 'text/plain; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png',
  '.ico': 'image/x-icon', '.woff2': 'font/woff2', '.wasm': 'application/wasm',
};
const COMPRESSIBLE = /^(text\/|application\/(json|xml|javascript)|image\/svg)/;

async function statFile(p) {
  try { const s = await fs.stat(p); return s.isFile() ? s : null; } catch { return null; }
}

async function resolve(urlPath) {
  let rel;
  try { rel = decodeURIComponent(urlPath); } catch { return null; }
  const p = path.join(root, path.normalize(rel));
  if (p !== root && !p.startsWith(root + path.sep)) return null;
  if (rel.endsWith('/')) { const i = path.join(p, 'index.html'); return (await statFile(i)) ? i : null; }
  if (await statFile(p)) return p;
  const i = path.join(p, 'index.html'); // /events -> /events/index.html (Pages redirects; same bytes)
  return (await statFile(i)) ? i : null;
}

const server = createServer(async (req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') { res.writeHead(405).end(); return; }
  const urlPath = (req.url || '/').split('?')[0].split('#')[0];
  let file = await resolve(urlPath);
  let status = 200;
  if (!file) { file = path.join(root, '404.html'); status = 404; if (!(await statFile(file))) { res.writeHead(404).end('not found'); return; } }
  const type = TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
  const gzipOk = /\bgzip\b/.test(String(req.headers['accept-encoding'] || ''));
  const headers = { 'Content-Type': type, 'Cache-Control': 'no-cache', Vary: 'Accept-Encoding' };
  const twin = gzipOk && (await statFile(file + '.gz'));
  if (twin) {
    headers['Content-Encoding'] = 'gzip';
    headers['Content-Length'] = twin.size;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') { res.end(); return; }
    createReadStream(file + '.gz').pipe(res);
  } else if (gzipOk && COMPRESSIBLE.test(type)) {
    headers['Content-Encoding'] = 'gzip';
    res.writeHead(status, headers);
    if (req.method === 'HEAD') { res.end(); return; }
    createReadStream(file).pipe(zlib.createGzip({ level: 6 })).pipe(res);
  } else {
    headers['Content-Length'] = (await statFile(file)).size;
    res.writeHead(status, headers);
    if (req.method === 'HEAD') { res.end(); return; }
    createReadStream(file).pipe(res);
  }
});

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening http://127.0.0.1:${server.address().port}/\n`);
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.close(() => process.exit(0)));
