/**
 * Serves the built site (site/dist) under its base path, gzip-compressed as GitHub Pages
 * does, for `npm start`, the browser tests and the size benchmark.
 *   node site/tools/serve.ts [--port 4321] [--base /]
 */
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.csv': 'text/csv; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.txt': 'text/plain; charset=utf-8',
  '.wasm': 'application/wasm',
  '.pf_meta': 'application/octet-stream',
  '.pf_index': 'application/octet-stream',
  '.pf_fragment': 'application/octet-stream',
};
const COMPRESSIBLE = new Set(['.html', '.css', '.js', '.json', '.csv', '.svg', '.txt']);

export const DIST = fileURLToPath(new URL('../dist/', import.meta.url));

export function startServer(
  options: { dir?: string; base?: string; port?: number } = {},
): Promise<{ server: Server; url: string }> {
  const dir = resolve(options.dir ?? DIST);
  const base = options.base ?? '/';
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    if (!path.startsWith(base)) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end(`not under ${base}`);
      return;
    }
    let file = normalize(join(dir, path.slice(base.length)));
    if (!file.startsWith(dir)) {
      res.writeHead(403).end();
      return;
    }
    if (existsSync(file) && statSync(file).isDirectory()) {
      if (!path.endsWith('/')) {
        res.writeHead(301, { Location: `${path}/` }).end();
        return;
      }
      file = join(file, 'index.html');
    }
    if (!existsSync(file)) {
      // As GitHub Pages does: the site's own 404.html, with status 404.
      const notFound = join(dir, '404.html');
      res.writeHead(404, { 'Content-Type': 'text/html; charset=utf-8' });
      if (existsSync(notFound)) createReadStream(notFound).pipe(res);
      else res.end('<!doctype html><title>Not found</title><h1>Not found</h1>');
      return;
    }
    const ext = extname(file);
    const headers: Record<string, string> = {
      'Content-Type': TYPES[ext] ?? 'application/octet-stream',
      'Cache-Control': 'max-age=600',
    };
    const gzip = COMPRESSIBLE.has(ext) && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
    if (gzip) headers['Content-Encoding'] = 'gzip';
    res.writeHead(200, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    const stream = createReadStream(file);
    (gzip ? stream.pipe(createGzip({ level: 9 })) : stream).pipe(res);
  });
  return new Promise((done) => {
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      done({ server, url: `http://127.0.0.1:${port}${base}` });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const { values } = parseArgs({ options: { port: { type: 'string', default: '4321' }, base: { type: 'string' } } });
  const base = values.base ?? process.env.PTB_SITE_BASE ?? '/';
  if (!existsSync(DIST)) {
    console.error('site/dist does not exist: run `npm run build -w @ptb/site` first');
    process.exit(1);
  }
  const { url } = await startServer({ base, port: Number(values.port) });
  console.log(`PostTrainBench leaderboard: ${url}  (Ctrl-C to stop)`);
}
