// A local stand-in for github.com's git over HTTPS, speaking git's real smart-HTTP protocol
// through git's own `git http-backend` (CGI). Tokens arrive as GitHub expects them (basic auth,
// user x-access-token); a pre-receive hook plays the repository's rulesets: `main` and the
// results branch accept pushes only from the GitHub App, everyone else is refused with GitHub's
// rule-violation message.
import { spawn } from 'node:child_process';
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { simpleGit } from 'simple-git';

export interface GitHttpStandIn {
  /** Clone URL of the repository. */
  url: string;
  /** Pushes seen: who pushed, and the hook's verdict. */
  pushes: { actor: string; ok: boolean }[];
  close(): Promise<void>;
}

/**
 * Serves the bare repository `bare` (its parent folder is the project root). `tokens` maps a
 * token to the actor it authenticates; `protectedRefs` may be changed only by `bypass`.
 */
export async function startGitHttp(opts: {
  bare: string;
  tokens: Record<string, string>;
  protectedRefs: readonly string[];
  bypass: string;
}): Promise<GitHttpStandIn> {
  const hook = join(opts.bare, 'hooks', 'pre-receive');
  writeFileSync(
    hook,
    `#!/bin/sh
# The rulesets: ${opts.protectedRefs.join(', ')} change only through ${opts.bypass}.
status=0
while read old new ref; do
  case " ${opts.protectedRefs.join(' ')} " in
    *" $ref "*)
      # No REMOTE_USER: a push over the file system, the test setting up the repository (an admin).
      if [ -n "$REMOTE_USER" ] && [ "$REMOTE_USER" != "${opts.bypass}" ]; then
        echo "error: GH013: Repository rule violations found for $ref."
        echo "- Changes must be made through a pull request (pushed by $REMOTE_USER)."
        status=1
      fi ;;
  esac
done
exit $status
`,
  );
  chmodSync(hook, 0o755);
  await simpleGit(opts.bare).addConfig('http.receivepack', 'true');
  const pushes: GitHttpStandIn['pushes'] = [];
  const root = join(opts.bare, '..');
  const name = opts.bare.split('/').at(-1) ?? '';
  const server: Server = createServer((req, res) => {
    const auth = /^basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    const [user, token] = auth ? Buffer.from(auth, 'base64').toString().split(':') : [];
    const actor = user === 'x-access-token' && token ? opts.tokens[token] : undefined;
    if (!actor) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="GitHub"' }).end('authentication required\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.replace(/^\?/, ''),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: String(req.headers['content-encoding'] ?? ''),
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: actor,
        REMOTE_ADDR: '127.0.0.1',
      },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    req.pipe(cgi.stdin);
    const out: Buffer[] = [];
    cgi.stdout.on('data', (b: Buffer) => out.push(b));
    cgi.on('close', () => {
      const all = Buffer.concat(out);
      const split = all.indexOf('\r\n\r\n');
      const head = all.subarray(0, split).toString();
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of head.split('\r\n')) {
        const i = line.indexOf(':');
        const k = line.slice(0, i).trim();
        const v = line.slice(i + 1).trim();
        if (k.toLowerCase() === 'status') status = Number.parseInt(v, 10);
        else if (k) headers[k] = v;
      }
      const body = all.subarray(split + 4);
      if (url.pathname.endsWith('/git-receive-pack'))
        pushes.push({ actor, ok: !body.toString('latin1').includes('pre-receive hook declined') });
      res.writeHead(status, headers).end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/${name}`,
    pushes,
    close: () =>
      new Promise<void>((r) => {
        rmSync(hook, { force: true });
        server.close(() => r());
        server.closeAllConnections();
      }),
  };
}
