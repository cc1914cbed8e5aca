import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  copyFileSync,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { runCommand } from '../host-command.ts';
import { ENGINE_DIR } from '../paths.ts';
import { chownTree } from '../sandbox/identity.ts';
import { descendants, identify, signalAll, stillAlive, stillRunning } from '../sandbox/processes.ts';
import { logBarrierHost } from './access-log.ts';
import { deploymentRepositories, type EgressDenyRule, type EgressPolicy, withDeployment } from './policy.ts';
import { DENIED_PAGE, DENIED_PAGE_HTML, squidConfig } from './squid-config.ts';

export interface Egress {
  /** Unix socket that the sandbox's bridge connects to; everything on it reaches squid. */
  socketPath: string;
  /** When squid intercepts TLS: the per-run CA, and the system CAs plus it, for the sandbox to trust. */
  tls: { caCert: string; caBundle: string } | null;
  accessLogPath: string;
  port: number;
  stop(): Promise<void>;
}

const safeList = (dir: string): string[] => {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
};

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = server.address();
  await new Promise<void>((r) => server.close(() => r()));
  if (!address || typeof address === 'string') throw new Error('could not find a free port');
  return address.port;
}

/** The `proxy` user squid switches to when started as root. */
export function proxyUser(): { uid: number; gid: number } | null {
  try {
    const line = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('proxy:'));
    if (!line) return null;
    const [, , uid, gid] = line.split(':');
    return { uid: Number(uid), gid: Number(gid) };
  } catch {
    return null;
  }
}

/** How long stopping waits for squid to log its last request (then it is stopped anyway). */
const BARRIER_WAIT_MS = 500;

/**
 * A request of the harness, made once every other connection to squid is closed: squid
 * handles events in order, so when the line of this request is in the access log, the
 * transactions of the connections closed before it have ended and been logged too.
 */
async function logBarrier(port: number, accessLog: string, deadlineMs: number): Promise<boolean> {
  const host = logBarrierHost(randomBytes(16).toString('hex'));
  await new Promise<void>((resolve) => {
    const s = connect(port, '127.0.0.1');
    const done = () => {
      s.destroy();
      resolve();
    };
    s.setTimeout(Math.max(1, deadlineMs - Date.now()), done);
    s.on('error', done);
    s.on('close', done);
    s.on('data', () => {});
    s.on('connect', () => s.end(`GET http://${host}/ HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
  });
  // The line is written as the transaction ends, around the moment the connection closes.
  while (Date.now() < deadlineMs) {
    if (tailIncludes(accessLog, host)) return true;
    await new Promise((r) => setTimeout(r, 1));
  }
  return false;
}

/** Whether the last 64 KiB of a file contain `text` (the access log may be large; its end is what changed). */
function tailIncludes(file: string, text: string): boolean {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    const size = fstatSync(fd).size;
    const buf = Buffer.alloc(Math.min(size, 64 * 1024));
    readSync(fd, buf, 0, buf.length, size - buf.length);
    return buf.includes(text);
  } finally {
    closeSync(fd);
  }
}

async function waitForPort(port: number, deadlineMs: number, squid: ChildProcess, cacheLog: string): Promise<void> {
  for (;;) {
    if (squid.exitCode !== null || squid.signalCode !== null)
      throw new Error(
        `squid exited (${squid.exitCode ?? squid.signalCode}) before listening: ${existsSync(cacheLog) ? readFileSync(cacheLog, 'utf8').slice(-2000) : ''}`,
      );
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadlineMs) throw new Error(`squid did not listen on 127.0.0.1:${port} within the start timeout`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

const CERTGEN = ['/usr/lib/squid/security_file_certgen', '/usr/libexec/squid/security_file_certgen'];
const SYSTEM_CAS = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

const canBump = new Map<string, Promise<boolean>>();

/** Whether this squid can intercept TLS (Debian: the squid-openssl package); asked once per PATH. */
export function squidCanBump(): Promise<boolean> {
  const path = process.env.PATH ?? '';
  let known = canBump.get(path);
  if (known === undefined) {
    known = runCommand('squid', ['-v']).then(
      (r) => r.status === 0 && /--with-openssl/.test(r.stdout) && CERTGEN.some((p) => existsSync(p)),
    );
    canBump.set(path, known);
  }
  return known;
}

/** openssl's arguments for a one-day self-signed certificate and its EC key. */
function certificateArgs(opts: { certFile: string; keyFile: string; subject: string; extensions: string[] }): string[] {
  const args = [
    'req',
    '-x509',
    // An EC key: made in milliseconds, where an RSA key took half a second of every cell's start.
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '1',
    '-subj',
    opts.subject,
    '-keyout',
    opts.keyFile,
    '-out',
    opts.certFile,
  ];
  for (const e of opts.extensions) args.push('-addext', e);
  return args;
}

/** A one-day self-signed certificate and EC key made with the openssl command line. */
export function selfSignedCertificate(opts: { certFile: string; keyFile: string; subject: string; extensions: string[] }): void {
  const r = spawnSync('openssl', certificateArgs(opts), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl could not make a certificate for ${opts.subject}: ${r.stderr}`);
}

/**
 * A CA for this run only (one day, never reused), and squid's store of the host certificates
 * it mints. Made without blocking: the cell's workspace and sandbox checks go on meanwhile.
 */
async function makeRunCa(dir: string): Promise<{ caCert: string; caKey: string; certDb: string; certgen: string }> {
  const caCert = join(dir, 'egress-ca.pem');
  const caKey = join(dir, 'egress-ca.key');
  const certDb = join(dir, 'ssl_db');
  const certgen = CERTGEN.find((p) => existsSync(p)) ?? CERTGEN[0] ?? '';
  const subject = '/CN=PostTrainBench egress proxy (one run)';
  const cert = await runCommand(
    'openssl',
    certificateArgs({
      certFile: caCert,
      keyFile: caKey,
      subject,
      extensions: ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,keyCertSign,cRLSign'],
    }),
  );
  if (cert.status !== 0) throw new Error(`openssl could not make a certificate for ${subject}: ${cert.stderr || cert.error}`);
  const db = await runCommand(certgen, ['-c', '-s', certDb, '-M', '4MB']);
  if (db.status !== 0) throw new Error(`could not initialise squid's certificate store: ${db.stderr || db.error}`);
  return { caCert, caKey, certDb, certgen };
}

export interface EgressOptions {
  /** Intercept TLS so that path rules hold for HTTPS (default: when squid can). */
  bumpTls?: boolean;
  /** Extra CA squid trusts upstream (tests with a local HTTPS server). */
  upstreamCa?: string;
  /** The deployment's own repositories for leaderboard-data rules (default: from the environment, see policy.ts). */
  deploymentRepositories?: readonly string[];
}

/** The decision helper as one plain ES module built from `acl-helper.ts` and its imports (scripts/build-egress-helper.ts). */
export const HELPER_BUNDLE = join(ENGINE_DIR, 'egress-helper', 'acl-helper.mjs');

/**
 * A copy of the decision helper and the run's policy in `dir`, readable by everyone: squid
 * runs its helpers as its own user, who may not be able to read the repository.
 */
export function installHelper(dir: string, policy: EgressPolicy): { script: string; policy: string } {
  if (!existsSync(HELPER_BUNDLE))
    throw new Error(`the egress helper ${HELPER_BUNDLE} is missing (run \`npm run build:egress-helper\`, or set PTB_ENGINE_DIR)`);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const script = join(dir, 'acl-helper.mjs');
  copyFileSync(HELPER_BUNDLE, script);
  writeFileSync(join(dir, 'policy.json'), JSON.stringify(policy));
  for (const f of [script, join(dir, 'policy.json')]) chmodSync(f, 0o644);
  return { script, policy: join(dir, 'policy.json') };
}

const ERROR_TEMPLATES = ['/usr/share/squid/errors/templates', '/usr/share/squid-langpack/templates'];

/**
 * squid's own error templates (linked) plus the page of a refusal, which shows the agent the
 * helper's message: the rule and its reason. Null when this squid's templates are not where
 * Debian puts them (squid's default pages are used then).
 */
export function installErrorPages(dir: string): string | null {
  const system = ERROR_TEMPLATES.find((d) => existsSync(join(d, 'ERR_ACCESS_DENIED')));
  if (!system) return null;
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  for (const f of readdirSync(system)) if (f !== DENIED_PAGE) symlinkSync(join(system, f), join(dir, f));
  writeFileSync(join(dir, DENIED_PAGE), DENIED_PAGE_HTML);
  chmodSync(join(dir, DENIED_PAGE), 0o644);
  return dir;
}

/**
 * Asks the installed helper one question as the user squid will run it as, so that a helper
 * that cannot start (Node or the files unreadable for that user, an old Node)
 * fails the start of the egress proxy with the reason, not every request of the agent with a
 * 403. Runs while squid starts.
 */
export async function checkHelper(
  helper: { script: string; policy: string },
  user: { uid: number; gid: number } | null,
  signal?: AbortSignal,
): Promise<void> {
  const child = spawn(process.execPath, [helper.script, helper.policy], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    ...(user ? { uid: user.uid, gid: user.gid } : {}),
    // Stopping the run while the check still runs ends it too.
    ...(signal ? { signal, killSignal: 'SIGKILL' as const } : {}),
  });
  let out = '';
  const add = (d: Buffer) => {
    out = (out + String(d)).slice(-4000);
  };
  child.stdout.on('data', add);
  child.stderr.on('data', add);
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  const result = await new Promise<{ code: number | null; error?: Error }>((resolve) => {
    child.once('error', (error) => resolve({ code: null, error }));
    child.once('close', (code) => resolve({ code }));
    child.stdin.on('error', () => {});
    child.stdin.end('0 GET http://ptb-egress-self-test.invalid/ - -\n');
  });
  clearTimeout(timer);
  if (result.code !== 0 || !/^0 (OK|ERR) /m.test(out))
    throw new Error(
      `the egress decision helper does not run${user ? ' as user proxy' : ''} (${process.execPath} ${helper.script}): ${
        result.error?.message ?? (out || `exit ${result.code}`)
      }${user ? ' (Node and the helper copy must be readable and executable by user proxy: chmod o+rx the folders above Node)' : ''}`,
    );
}

/**
 * Starts a squid for one run (allow/deny from the definition) and a unix socket in front of
 * it; the sandbox reaches the socket through its socat bridge, so squid is its only route out.
 * Resolves once squid listens and its decision helper answers.
 */
export async function startEgress(
  dir: string,
  allow: readonly string[],
  deny: readonly EgressDenyRule[],
  options: EgressOptions = {},
): Promise<Egress> {
  const launched = await launchEgress(dir, allow, deny, options);
  try {
    await launched.ready;
  } catch (e) {
    await launched.egress.stop();
    throw e;
  }
  return launched.egress;
}

/**
 * The same, without waiting for squid: the socket exists at once and holds each connection
 * until squid listens (squid's start is most of a cell's setup, and the agent's first request
 * comes later). `ready` rejects when squid or its helper does not come up; the caller must
 * then end the run as the harness's failure (connections are refused meanwhile, never let past).
 */
export async function launchEgress(
  dir: string,
  allow: readonly string[],
  deny: readonly EgressDenyRule[],
  options: EgressOptions = {},
): Promise<{ egress: Egress; ready: Promise<void> }> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = join(dir, 'squid.conf');
  const bump = (options.bumpTls ?? (await squidCanBump())) ? await makeRunCa(dir) : null;
  const policy: EgressPolicy = {
    allow,
    deny: withDeployment(deny, options.deploymentRepositories ?? deploymentRepositories(process.env)),
    tlsInspected: bump !== null,
  };
  const helper = installHelper(join(dir, 'acl'), policy);
  const errorDirectory = installErrorPages(join(dir, 'errors'));
  for (const p of [process.execPath, helper.script, helper.policy])
    if (/\s/.test(p)) throw new Error(`squid cannot start a helper from a path with spaces: ${p}`);
  writeFileSync(
    conf,
    squidConfig({
      port,
      dir,
      allow,
      helper: { node: process.execPath, ...helper },
      ...(errorDirectory ? { errorDirectory } : {}),
      ...(bump ? { bump: { ...bump, ...(options.upstreamCa ? { upstreamCa: options.upstreamCa } : {}) } } : {}),
    }),
  );
  const accessLogPath = join(dir, 'access.log');
  writeFileSync(accessLogPath, '');
  let tls: Egress['tls'] = null;
  if (bump) {
    const system = SYSTEM_CAS.find((p) => existsSync(p));
    const caBundle = join(dir, 'ca-bundle.pem');
    writeFileSync(caBundle, `${system ? readFileSync(system, 'utf8') : ''}\n${readFileSync(bump.caCert, 'utf8')}`);
    tls = { caCert: bump.caCert, caBundle };
  }
  // squid started as root switches to the `proxy` user: it must be able to write its logs.
  const user = process.getuid?.() === 0 ? proxyUser() : null;
  if (user) {
    // squid must be able to reach its folder after dropping privileges: every parent needs o+x.
    for (let d = dirname(dir); d !== dirname(d); d = dirname(d))
      if ((statSync(d).mode & 0o001) === 0)
        throw new Error(`squid (user proxy) cannot reach ${dir}: ${d} is not traversable by others (chmod o+x it)`);
    chownSync(dir, user.uid, user.gid);
    chownSync(accessLogPath, user.uid, user.gid);
    if (bump) {
      // squid's certificate store: a folder of a few files just made.
      chownTree(bump.certDb, user.uid, user.gid);
      chownSync(bump.caKey, user.uid, user.gid);
    }
  }
  const helperCheck = new AbortController();
  const helperWorks = checkHelper(helper, user, helperCheck.signal);
  helperWorks.catch(() => {}); // awaited below; a failure while squid is still starting must not go unhandled
  // A service name of its own: squid names its shared-memory segments after it, so two runs
  // (or two users) never collide, and this run's segments can be removed after it.
  const service = `ptb${randomBytes(6).toString('hex')}`;
  // squid hands its environment to the helper: nothing of ours (NODE_OPTIONS, secrets) goes along.
  const squid = spawn('squid', ['-N', '-n', service, '-f', conf], {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
    env: { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin' },
  });
  const removeSegments = () => {
    for (const name of safeList('/dev/shm')) if (name.startsWith(`${service}-`)) rmSync(join('/dev/shm', name), { force: true });
  };
  let stderr = '';
  squid.stderr?.on('data', (d) => {
    stderr += String(d).slice(0, 4000);
  });
  const spawnError = new Promise<never>((_, reject) =>
    squid.once('error', (e) => reject(new Error(`cannot start squid: ${e.message}`))),
  );
  const ready = Promise.all([
    Promise.race([waitForPort(port, Date.now() + 15_000, squid, join(dir, 'cache.log')), spawnError]),
    helperWorks,
  ]).then(
    () => undefined,
    (e: unknown) => {
      squid.kill('SIGKILL');
      removeSegments();
      throw new Error(`${e instanceof Error ? e.message : String(e)}${stderr ? `\n${stderr}` : ''}`);
    },
  );
  ready.catch(() => {}); // the caller awaits it; a connection before then must not make it unhandled
  const socketPath = join(dir, 'proxy.sock');
  // Open bridge connections, so that stopping never waits on a tunnel a dead sandbox left half-open.
  const open = new Set<Socket>();
  const server: Server = createServer((client) => {
    open.add(client);
    client.on('error', () => client.destroy());
    client.on('close', () => open.delete(client));
    // Held until squid listens; if it never does, nothing passes.
    ready.then(
      () => bridge(client),
      () => client.destroy(),
    );
  });
  const bridge = (client: Socket) => {
    if (client.destroyed) return;
    const upstream = connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    open.add(client);
    open.add(upstream);
    client.on('error', end);
    upstream.on('error', end);
    client.on('close', end);
    upstream.on('close', end);
  };
  // The sandbox cannot exhaust the harness's descriptors through this socket.
  server.maxConnections = 512;
  server.on('error', () => {});
  await new Promise<void>((r) => server.listen(socketPath, r));
  const egress: Egress = {
    socketPath,
    tls,
    accessLogPath,
    port,
    stop: async () => {
      helperCheck.abort();
      const closed = new Promise<void>((r) => server.close(() => r()));
      for (const socket of open) socket.destroy();
      await closed;
      if (squid.exitCode === null && squid.signalCode === null) {
        const exited = new Promise<void>((r) => squid.once('exit', () => r()));
        // Every connection is closed: once squid has logged one more request of ours, it has
        // logged theirs. Its own shutdown (about 2 s of timers) is not worth waiting for.
        await logBarrier(port, accessLogPath, Date.now() + BARRIER_WAIT_MS);
        // Its helpers (our decision helper, the certificate generator) would leave on their own
        // once their pipes close; they go with it, and are gone when this returns.
        const helpers = identify(squid.pid ? descendants(squid.pid) : []);
        squid.kill('SIGKILL');
        signalAll(stillAlive(helpers), 'SIGKILL');
        await exited;
        for (let i = 0; i < 200 && stillRunning(helpers).length > 0; i++) await new Promise((r) => setTimeout(r, 5));
      }
      removeSegments();
    },
  };
  return { egress, ready };
}
