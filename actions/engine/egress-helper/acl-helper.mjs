// Generated from actions/engine/src/egress/*.ts by scripts/build-egress-helper.ts: do not edit.

// actions/engine/src/egress/acl-helper.ts
import { readFileSync } from "node:fs";
import { createInterface } from "node:readline";

// actions/engine/src/egress/names.ts
var nameWords = (s) => s.toLowerCase().match(/[a-z]+|[0-9]+/g) ?? [];
function occurrences(words, run) {
  if (run.length === 0) return [];
  const out = [];
  for (let i = 0; i + run.length <= words.length; i++) if (run.every((w, k) => words[i + k] === w)) out.push(i);
  return out;
}
var holdsName = (text, name) => occurrences(nameWords(text), nameWords(name)).length > 0;
function namesFamilyVariant(text, family) {
  const words = nameWords(text);
  const stem = nameWords(family.name);
  const markers = family.base.map((b) => nameWords(b)[0]);
  return occurrences(words, stem).some((i) => {
    const next = words[i + stem.length];
    return next === void 0 || !markers.includes(next);
  });
}

// actions/engine/src/egress/normalise.ts
import { domainToASCII } from "node:url";
var METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "CONNECT"];
var DEFAULT_PORT = { http: 80, https: 443 };
var Ambiguous = class extends Error {
};
var refuse = (why) => {
  throw new Ambiguous(why);
};
function decode(raw, what) {
  if (/%(?![0-9a-f]{2})/i.test(raw)) refuse(`malformed percent-escape in the ${what}`);
  const bytes = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (raw[i] === "%") {
      bytes.push(Number.parseInt(raw.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (c < 128) bytes.push(c);
    else for (const b of Buffer.from(raw[i], "utf8")) bytes.push(b);
  }
  let text;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(Uint8Array.from(bytes));
  } catch {
    return refuse(`percent-escapes in the ${what} that are not UTF-8`);
  }
  if (/[\u0000-\u001f\u007f]/.test(text)) refuse(`a control character in the ${what}`);
  return text;
}
var IPV4_LIKE = /^(?:0x[0-9a-f]*|[0-9]+)(?:\.(?:0x[0-9a-f]*|[0-9]+))*\.?$/i;
var DOTTED_QUAD = /^(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$/;
function parseAuthority(authority, defaultPort) {
  if (authority.includes("@")) refuse("user info in the URL");
  if (authority.includes("%")) refuse("a percent-encoded host");
  let host;
  let portText = null;
  if (authority.startsWith("[")) {
    const end = authority.indexOf("]");
    if (end < 0) refuse("an unterminated IPv6 address");
    host = authority.slice(0, end + 1).toLowerCase();
    if (!/^\[[0-9a-f:.]+\]$/.test(host)) refuse("a malformed IPv6 address");
    const rest = authority.slice(end + 1);
    if (rest !== "") {
      if (!rest.startsWith(":")) refuse("text after an IPv6 address");
      portText = rest.slice(1);
    }
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon >= 0) {
      if (authority.indexOf(":") !== colon) refuse("several colons in the host");
      portText = authority.slice(colon + 1);
      host = authority.slice(0, colon);
    } else host = authority;
    if (/[^\u0000-\u007f]/.test(host)) host = domainToASCII(host);
    host = host.toLowerCase();
    if (host.endsWith(".")) host = host.slice(0, -1);
    if (!/^[a-z0-9_-]+(?:\.[a-z0-9_-]+)*$/.test(host)) refuse(`an invalid host name "${authority}"`);
    if (IPV4_LIKE.test(host) && !DOTTED_QUAD.test(host)) refuse(`an IPv4 address in an unusual spelling ("${host}")`);
  }
  let port;
  if (portText === null) {
    if (defaultPort === null) return refuse("no port in a CONNECT target");
    port = defaultPort;
  } else {
    if (!/^[0-9]{1,5}$/.test(portText)) refuse(`an invalid port "${portText}"`);
    port = Number(portText);
    if (port < 1 || port > 65535) refuse(`port ${port} out of range`);
  }
  return { host, port };
}
var PATH_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%]*$/;
var QUERY_CHARS = /^[A-Za-z0-9\-._~!$&'()*+,;=:@/%?]*$/;
function reading(raw, params, resolveDots, collapse) {
  const out = [];
  for (const seg of raw) {
    const cut = params === "strip-raw" && seg.includes(";") ? seg.slice(0, seg.indexOf(";")) : seg;
    let text = decode(cut, "path");
    if (params === "strip-decoded" && text.includes(";")) text = text.slice(0, text.indexOf(";"));
    for (const piece of text.split("/")) {
      if ((piece === "." || piece === "..") && seg.includes("%"))
        refuse("a dot segment spelt with percent-escapes (e.g. %2e%2e or ..%2f)");
      out.push(piece);
    }
  }
  let segs = collapse ? out.filter((s) => s !== "") : out;
  if (resolveDots) {
    const stack = [];
    segs.forEach((s, i) => {
      if (s === ".") {
        if (i === segs.length - 1) stack.push("");
      } else if (s === "..") {
        stack.pop();
        if (i === segs.length - 1) stack.push("");
      } else stack.push(s);
    });
    segs = collapse ? stack.filter((s) => s !== "") : stack;
  }
  return segs;
}
function parseQuery(raw) {
  const query = /* @__PURE__ */ new Map();
  if (raw === "") return query;
  if (!QUERY_CHARS.test(raw)) refuse("a character not allowed in a URL query");
  const pairs = /* @__PURE__ */ new Set([...raw.split("&"), ...raw.split(/[&;]/)]);
  for (const pair of pairs) {
    if (pair === "") continue;
    const eq = pair.indexOf("=");
    const key = decode((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, " "), "query");
    const value = eq < 0 ? "" : decode(pair.slice(eq + 1).replace(/\+/g, " "), "query");
    query.set(key, [...query.get(key) ?? [], value]);
  }
  return query;
}
function normaliseOrThrow(method, target) {
  if (!METHODS.includes(method)) refuse(`the method "${method}"`);
  if (method === "CONNECT") {
    if (target.includes("/")) refuse("a CONNECT target that is not host:port");
    const { host: host2, port: port2 } = parseAuthority(target, null);
    return { method, scheme: null, host: host2, port: port2, segments: [], readings: [[]], query: /* @__PURE__ */ new Map(), canonical: `${host2}:${port2}` };
  }
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/s.exec(target);
  if (!m) return refuse("not an absolute http(s) URL");
  const scheme = m[1].toLowerCase();
  if (scheme !== "http" && scheme !== "https") return refuse(`the scheme "${scheme}"`);
  const { host, port } = parseAuthority(m[2], DEFAULT_PORT[scheme]);
  let rest = m[3];
  if (rest.includes("#")) refuse("a fragment (#) in a request");
  if (rest.includes("\\")) refuse("a backslash in the URL");
  const q = rest.indexOf("?");
  const rawQuery = q < 0 ? "" : rest.slice(q + 1);
  rest = q < 0 ? rest : rest.slice(0, q);
  const rawPath = rest === "" ? "/" : rest;
  if (!PATH_CHARS.test(rawPath)) refuse("a character not allowed in a URL path");
  if (/%5c/i.test(rawPath)) refuse("an encoded backslash (%5C) in the path");
  if (/%25[0-9a-f]{2}/i.test(rawPath)) refuse("double percent-encoding in the path");
  const raw = rawPath.split("/").slice(1);
  const seen = /* @__PURE__ */ new Set();
  const readings = [];
  for (const params of ["strip-raw", "strip-decoded", "keep"])
    for (const dots of [true, false])
      for (const collapse of [true, false]) {
        const r = reading(raw, params, dots, collapse);
        const key = JSON.stringify(r);
        if (!seen.has(key)) {
          seen.add(key);
          readings.push(r);
        }
      }
  const segments = readings[0];
  const query = parseQuery(rawQuery);
  const portPart = port === DEFAULT_PORT[scheme] ? "" : `:${port}`;
  const path = `/${segments.map(encodeURIComponent).join("/")}`;
  return {
    method,
    scheme,
    host,
    port,
    segments,
    readings,
    query,
    canonical: `${scheme}://${host}${portPart}${path}${rawQuery ? `?${rawQuery}` : ""}`
  };
}
function normaliseRequest(method, target) {
  try {
    return { ok: true, url: normaliseOrThrow(method, target) };
  } catch (e) {
    if (e instanceof Ambiguous) return { ok: false, why: e.message };
    throw e;
  }
}
function normaliseHost(value, defaultPort) {
  try {
    return parseAuthority(value, defaultPort);
  } catch (e) {
    if (e instanceof Ambiguous) return null;
    throw e;
  }
}

// actions/engine/src/egress/policy.ts
function splitPattern(pattern) {
  const clean = pattern.replace(/^[a-z]+:\/\//i, "");
  const slash = clean.indexOf("/");
  return slash < 0 ? { host: clean.toLowerCase(), path: null } : { host: clean.slice(0, slash).toLowerCase(), path: clean.slice(slash) };
}
var escapeRe = (s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&");
var glob = (s) => s.split("*").map(escapeRe).join(".*");
function patternCovers(pattern, host, segments) {
  const { host: hostGlob, path } = splitPattern(pattern);
  const bareHost = hostGlob.replace(/:[0-9]+$/, "");
  if (!new RegExp(`^${glob(bareHost)}$`, "i").test(host)) return false;
  if (path === null) return true;
  if (segments === null) return false;
  return new RegExp(`^${glob(path.replace(/\/+$/, ""))}(/.*)?$`, "is").test(`/${segments.join("/")}`);
}
function hostAllowed(host, allow) {
  const h = host.toLowerCase();
  return allow.some((a) => {
    const p = a.toLowerCase();
    if (p.startsWith("*.") || p.startsWith(".")) {
      const base = p.replace(/^\*?\./, "");
      return h === base || h.endsWith(`.${base}`);
    }
    return h === p;
  });
}

// actions/engine/src/egress/routes.ts
var DEFAULT_SERVICES = {
  huggingface: ["huggingface.co", "www.huggingface.co", "hf.co"],
  datasetsServer: ["datasets-server.huggingface.co"],
  github: ["github.com", "www.github.com", "raw.githubusercontent.com", "codeload.github.com", "api.github.com"]
};
var servicesOf = (override) => ({
  ...DEFAULT_SERVICES,
  ...Object.fromEntries(Object.entries(override ?? {}).filter(([, v]) => v !== void 0))
});
var lower = (s) => s.toLowerCase();
var stripGit = (s) => s.replace(/\.git$/i, "");
function hubDataset(segments) {
  const prefixes = [["datasets"], ["api", "datasets"], ["api", "resolve-cache", "datasets"]];
  for (const p of prefixes) {
    if (segments.length < p.length + 2 || !p.every((s, i) => lower(segments[i] ?? "") === s)) continue;
    const org = segments[p.length];
    const raw = segments[p.length + 1];
    const rest = segments.slice(p.length + 2);
    return {
      id: lower(`${org}/${stripGit(raw)}`),
      rest,
      wholeRepository: raw !== stripGit(raw) || WHOLE_REPOSITORY.has(lower(rest[0] ?? ""))
    };
  }
  return null;
}
var WHOLE_REPOSITORY = /* @__PURE__ */ new Set(["info", "git-upload-pack", "git-receive-pack", "objects", "head", "xet-read-token"]);
function githubRepos(host, segments) {
  const out = [];
  const pair = (o, r) => {
    if (o && r) out.push(lower(`${o}/${stripGit(r)}`));
  };
  if (lower(segments[0] ?? "") === "repos") pair(segments[1], segments[2]);
  if (host !== "api.github.com") pair(segments[0], segments[1]);
  return out;
}
var METADATA_ENDPOINTS = /* @__PURE__ */ new Set(["splits", "info", "size", "is-valid", "parquet", "croissant-crumbs", "compatible-libraries"]);
function datasetsServerQuery(segments, query) {
  return {
    datasets: [...new Set((query.get("dataset") ?? []).map(lower))],
    splits: [...new Set(query.get("split") ?? [])],
    returnsRows: !METADATA_ENDPOINTS.has(lower(segments[0] ?? ""))
  };
}

// actions/engine/src/egress/decide.ts
var BUILT_IN_RULES = {
  "ambiguous-url": "a URL the proxy cannot read unambiguously (encoded dots or slashes, backslashes, user info, ...)",
  "host-mismatch": "the Host header names another host than the request URL",
  "sni-mismatch": "the TLS server name differs from the host of the request URL",
  "connect-port": "a tunnel (CONNECT) to a port other than 443",
  "tls-not-inspected": "HTTPS that this proxy cannot decrypt, so the path rules could not be applied",
  "not-allowed": "destination not on the allow list"
};
var refuse2 = (id, reason, detail, canonical) => ({
  allow: false,
  rule: { id, reason },
  detail,
  canonical
});
var builtIn = (id, detail, canonical) => refuse2(id, BUILT_IN_RULES[id], detail, canonical);
var isUrlRule = (r) => "pattern" in r;
var ruleId = (r) => r.id ?? (isUrlRule(r) ? r.pattern : "unnamed");
var inHosts = (host, hosts) => hostAllowed(host, hosts);
function ruleRefuses(rule, url) {
  if (isUrlRule(rule)) {
    const hit = url.readings.find((r) => patternCovers(rule.pattern, url.host, r));
    return hit ? `matches ${rule.pattern}` : null;
  }
  if (rule.artefact === "model-family") {
    for (const reading2 of url.readings)
      for (const seg of reading2)
        for (const f of rule.families)
          if (namesFamilyVariant(seg, { name: f.name, base: f.base ?? [] })) return `"${seg}" names the ${f.name} family`;
    return null;
  }
  const services = servicesOf(rule.services);
  for (const p of rule.urls ?? []) if (url.readings.some((r) => patternCovers(p, url.host, r))) return `matches ${p}`;
  const names = rule.names ?? [];
  const repos = (rule.github ?? []).map((g) => g.toLowerCase());
  const splitsOnly = rule.artefact === "test-set" ? rule.splitsOnly : void 0;
  const ownsSplits = (id) => splitsOnly?.datasets.some((d) => d.toLowerCase() === id) ?? false;
  const isHub = inHosts(url.host, services.huggingface);
  const isGithub = inHosts(url.host, services.github);
  if (rule.artefact === "test-set" && inHosts(url.host, services.datasetsServer)) {
    const q = datasetsServerQuery(url.segments, url.query);
    for (const dataset of q.datasets) {
      if (ownsSplits(dataset)) {
        const held = q.splits.find((split) => (splitsOnly?.splits ?? []).some((s) => holdsName(split, s)));
        if (held !== void 0) return `the ${held} split of ${dataset}`;
        if (q.splits.length === 0 && q.returnsRows) return `rows of ${dataset} without a split`;
      } else if (names.some((n) => holdsName(dataset, n))) return `dataset=${dataset}`;
    }
  }
  for (const reading2 of url.readings) {
    const dataset = isHub ? hubDataset(reading2) : null;
    if (dataset && ownsSplits(dataset.id)) {
      if (dataset.wholeRepository) return `all of ${dataset.id} (git, LFS or xet), its held-out splits included`;
      const inside = [...dataset.rest, ...[...url.query.values()].flat()].join("/");
      const split = splitsOnly?.splits.find((s) => holdsName(inside, s));
      if (split) return `the ${split} split of ${dataset.id}`;
      continue;
    }
    for (const seg of reading2) for (const n of names) if (holdsName(seg, n)) return `"${seg}" names ${n}`;
    if (isGithub) {
      for (const repo of githubRepos(url.host, reading2)) if (repos.includes(repo)) return `GitHub repository ${repo}`;
    }
    if (rule.artefact === "leaderboard-data") {
      const site = repos.find((r) => {
        const [owner, name] = r.split("/");
        if (url.host !== `${owner}.github.io`) return false;
        return name === url.host || (reading2[0] ?? "").toLowerCase() === name;
      });
      if (site) return `the GitHub Pages site of ${site}`;
    }
  }
  return null;
}
function ruleRefusesHost(rule, host) {
  if (isUrlRule(rule)) return patternCovers(rule.pattern, host, null);
  if (rule.artefact === "leaderboard-data")
    return (rule.github ?? []).some((r) => r.split("/")[1]?.toLowerCase() === host && host.endsWith(".github.io"));
  return false;
}
var pathRulesExist = (policy2) => policy2.deny.some((r) => !isUrlRule(r) || r.pattern.replace(/^[a-z]+:\/\//i, "").includes("/"));
function decideEgress(req, policy2) {
  const n = normaliseRequest(req.method, req.url);
  if (!n.ok) return builtIn("ambiguous-url", n.why, null);
  const url = n.url;
  const defaultPort = url.scheme === "http" ? 80 : 443;
  if (req.hostHeader) {
    const h = normaliseHost(req.hostHeader, defaultPort);
    if (!h || h.host !== url.host || h.port !== url.port)
      return builtIn("host-mismatch", `Host: ${req.hostHeader}`, url.canonical);
  }
  if (req.sni && url.scheme !== "http") {
    const s = normaliseHost(req.sni, defaultPort);
    if (!s || s.host !== url.host) return builtIn("sni-mismatch", `server name ${req.sni}`, url.canonical);
  }
  if (url.scheme === null) {
    for (const rule of policy2.deny)
      if (ruleRefusesHost(rule, url.host)) return refuse2(ruleId(rule), rule.reason, `the host ${url.host}`, url.canonical);
    if (url.port !== 443) return builtIn("connect-port", `port ${url.port}`, url.canonical);
    if (!policy2.tlsInspected && pathRulesExist(policy2)) return builtIn("tls-not-inspected", null, url.canonical);
  } else {
    for (const rule of policy2.deny) {
      const why = ruleRefuses(rule, url);
      if (why) return refuse2(ruleId(rule), rule.reason, why, url.canonical);
    }
  }
  if (!hostAllowed(url.host, policy2.allow)) return builtIn("not-allowed", url.host, url.canonical);
  return { allow: true, rule: null, detail: null, canonical: url.canonical };
}

// actions/engine/src/egress/acl-protocol.ts
function headerValue(token) {
  if (token === void 0 || token === "-" || token === "") return null;
  try {
    return decodeURIComponent(token);
  } catch {
    return token;
  }
}
var quoted = (s) => `"${s.replace(/[\\"]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, " ")}"`;
function answerLine(line, policy2) {
  const fields = line.trim().split(/\s+/);
  const channel = /^[0-9]+$/.test(fields[0] ?? "") ? fields.shift() : null;
  const prefix = channel === null ? "" : `${channel} `;
  const [method, url, host, sni] = fields;
  let decision;
  try {
    decision = method && url ? decideEgress({ method, url, hostHeader: headerValue(host), sni: headerValue(sni) }, policy2) : {
      allow: false,
      rule: { id: "ambiguous-url", reason: "a request line the helper cannot read" },
      detail: null,
      canonical: null
    };
  } catch (e) {
    return `${prefix}BH log=helper-error message=${quoted(e instanceof Error ? e.message : String(e))}`;
  }
  if (decision.allow) return `${prefix}OK log=allow`;
  const rule = decision.rule ?? { id: "unknown", reason: "refused" };
  const message = `refused by the egress rule ${rule.id}: ${rule.reason}${decision.detail ? ` (${decision.detail})` : ""}`;
  return `${prefix}ERR log=${encodeURIComponent(rule.id)} message=${quoted(message)}`;
}

// actions/engine/src/egress/acl-helper.ts
var policyFile = process.argv[2];
if (!policyFile) {
  process.stderr.write("usage: acl-helper.mjs <policy.json>\n");
  process.exit(2);
}
var policy = JSON.parse(readFileSync(policyFile, "utf8"));
var lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
lines.on("line", (line) => {
  process.stdout.write(`${answerLine(line, policy)}
`);
});
lines.on("close", () => process.exit(0));
