/**
 * Serves the built site (site/dist) under its base path, gzip-compressed as GitHub Pages
 * does, for `npm start`, the browser tests and the size benchmark.
 *   node site/tools/serve.ts [--port 4321] [--base /] [--dir site/dist]
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
  return new Promise((done, fail) => {
    // A busy or forbidden port is an 'error' event, not an exception: without this it would crash.
    server.once('error', fail);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.off('error', fail);
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      done({ server, url: `http://127.0.0.1:${port}${base}` });
    });
  });
}

/** One line: what went wrong with the port and what to do about it; undefined for other errors. */
export function portProblem(error: unknown, port: number): string | undefined {
  const code = (error as { code?: string }).code;
  if (code === 'EADDRINUSE')
    return `port ${port} is already in use (is another \`npm start\` still running?): stop it, or serve on another port: npm start -- --port ${port + 1}`;
  if (code === 'EACCES')
    return `port ${port} is not open to this user (ports below 1024 need root): serve on another port: npm start -- --port 4321`;
  return undefined;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const usage = 'usage: node site/tools/serve.ts [--port 4321] [--base /] [--dir site/dist]  (npm start -- --port <n>)';
  let values: { port: string; base?: string; dir?: string };
  try {
    ({ values } = parseArgs({
      options: { port: { type: 'string', default: '4321' }, base: { type: 'string' }, dir: { type: 'string' } },
    }));
  } catch (e) {
    console.error(`${e instanceof Error ? e.message : String(e)}; ${usage}`);
    process.exit(2);
  }
  const port = Number(values.port);
  if (!/^\d+$/.test(values.port) || port > 65535) {
    console.error(
      `--port ${values.port} is not a port number: give 1 to 65535 (0 picks a free one), e.g. npm start -- --port 4322`,
    );
    process.exit(2);
  }
  const base = values.base ?? process.env.PTB_SITE_BASE ?? '/';
  const dir = resolve(values.dir ?? DIST);
  if (!existsSync(dir)) {
    console.error(`${dir} does not exist: run \`npm run build -w @ptb/site\` first`);
    process.exit(1);
  }
  try {
    const { url } = await startServer({ dir, base, port });
    console.log(`PostTrainBench leaderboard: ${url}  (Ctrl-C to stop)`);
  } catch (e) {
    const problem = portProblem(e, port);
    if (!problem) throw e;
    console.error(problem);
    process.exit(1);
  }
}
