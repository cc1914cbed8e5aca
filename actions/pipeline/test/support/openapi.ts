// GitHub's official REST description (@octokit/openapi) compiled with ajv, so that the
// stand-in can check every request body and every response it returns against it.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
type AjvLike = { compile(schema: unknown): ValidateFn; addSchema(schema: unknown): void };
type ValidateFn = ((data: unknown) => boolean) & { errors?: { instancePath: string; message?: string }[] | null };
const AjvModule = require('ajv') as { default: new (opts: object) => AjvLike };
const addFormats = require('ajv-formats') as { default: (ajv: AjvLike) => void };

interface Parameter {
  name: string;
  in: string;
  required?: boolean;
  schema?: { type?: string; enum?: unknown[] };
}

interface Operation {
  operationId: string;
  parameters?: (Parameter | RefObject)[];
  requestBody?: { content?: Record<string, { schema?: unknown }> } | RefObject;
  responses: Record<string, ResponseObject | RefObject>;
}
interface RefObject {
  $ref: string;
}
interface ResponseObject {
  content?: Record<string, { schema?: unknown }>;
}
interface Doc {
  paths: Record<string, Record<string, Operation>>;
  components: {
    responses: Record<string, ResponseObject>;
    examples: Record<string, { value: unknown }>;
    parameters: Record<string, Parameter>;
  };
}

export interface Route {
  method: string;
  template: string;
  operationId: string;
  pattern: RegExp;
  params: string[];
  operation: Operation;
}

export interface Match {
  route: Route;
  params: Record<string, string>;
}

const docPath = require.resolve('@octokit/openapi/generated/api.github.com.json');

let cached: OpenApi | undefined;

/** One shared, lazily built instance per process: parsing 13 MB of JSON once is enough. */
export function openApi(): OpenApi {
  cached ??= new OpenApi(JSON.parse(readFileSync(docPath, 'utf8')) as Doc);
  return cached;
}

export class OpenApi {
  readonly doc: Doc;
  private readonly ajv: AjvLike;
  private readonly routes: Route[];
  private readonly validators = new Map<string, ValidateFn>();

  constructor(doc: Doc) {
    this.doc = doc;
    this.ajv = new AjvModule.default({ strict: false, allErrors: true, validateSchema: false });
    addFormats.default(this.ajv);
    this.ajv.addSchema({ $id: 'gh', components: untypedNullable(structuredClone(doc.components)) });
    this.routes = [];
    for (const [template, methods] of Object.entries(doc.paths)) {
      const params: string[] = [];
      const source = template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([^}]+)\}/g, (_m, name: string) => {
        params.push(name);
        // Content paths may contain slashes; every other parameter is one segment.
        return name === 'path' ? '(.+)' : '([^/]+)';
      });
      for (const [method, operation] of Object.entries(methods)) {
        if (!operation || typeof operation !== 'object' || !('operationId' in operation)) continue;
        this.routes.push({
          method: method.toUpperCase(),
          template,
          operationId: operation.operationId,
          pattern: new RegExp(`^${source}$`),
          params,
          operation,
        });
      }
    }
    // Literal segments win over parameters (e.g. /issues/comments/{id} over /issues/{number}/...).
    this.routes.sort((a, b) => a.params.length - b.params.length);
  }

  match(method: string, pathname: string): Match | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const m = route.pattern.exec(pathname);
      if (!m) continue;
      const params: Record<string, string> = {};
      route.params.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? '');
      });
      return { route, params };
    }
    return undefined;
  }

  /** The official example value named in components.examples, deep-copied. */
  example<T = Record<string, unknown>>(name: string): T {
    const ex = this.doc.components.examples[name];
    if (!ex) throw new Error(`no example "${name}" in GitHub's OpenAPI description`);
    return structuredClone(ex.value) as T;
  }

  /** Errors of a request body against the operation's requestBody schema ([] when valid). */
  checkRequest(route: Route, body: unknown): string[] {
    const rb = route.operation.requestBody;
    if (!rb) return body === undefined ? [] : [`${route.operationId} takes no request body`];
    if ('$ref' in rb) throw new Error(`unsupported requestBody $ref in ${route.operationId}`);
    const schema = rb.content?.['application/json']?.schema;
    if (!schema) return [];
    return this.run(`req:${route.operationId}`, schema, body);
  }

  /** Errors of the query string: every parameter must be declared, its value of the declared type. */
  checkQuery(route: Route, query: URLSearchParams): string[] {
    const declared = (route.operation.parameters ?? [])
      .map((p) => ('$ref' in p ? this.doc.components.parameters[p.$ref.replace('#/components/parameters/', '')] : p))
      .filter((p): p is Parameter => p?.in === 'query');
    const errors: string[] = [];
    for (const [name, raw] of query) {
      const param = declared.find((p) => p.name === name);
      if (!param) {
        errors.push(`query parameter "${name}" is not declared by ${route.operationId}`);
        continue;
      }
      const type = param.schema?.type;
      const value = type === 'integer' || type === 'number' ? Number(raw) : type === 'boolean' ? raw === 'true' : raw;
      if ((type === 'integer' && !Number.isInteger(value)) || (type === 'boolean' && raw !== 'true' && raw !== 'false'))
        errors.push(`query parameter ${name}=${raw} is not a ${type}`);
      else if (param.schema)
        errors.push(...this.run(`query:${route.operationId}:${name}`, param.schema, value).map((e) => `query ${name}: ${e}`));
    }
    for (const p of declared) if (p.required && !query.has(p.name)) errors.push(`required query parameter "${p.name}" missing`);
    return errors;
  }

  /**
   * Errors of a response against the operation's declared response for that status. A status
   * the operation does not declare (a 5xx or 429 GitHub can always return) is checked against
   * components/schemas/basic-error, the shape GitHub uses for such errors.
   */
  checkResponse(route: Route, status: number, body: unknown): string[] {
    let response = route.operation.responses[String(status)];
    if (response && '$ref' in response) {
      const name = response.$ref.replace('#/components/responses/', '');
      response = this.doc.components.responses[name];
    }
    if (!response) {
      if (status < 400) return [`${route.operationId} does not declare a ${status} response`];
      return this.run('basic-error', { $ref: 'gh#/components/schemas/basic-error' }, body);
    }
    const content = response.content;
    if (!content)
      return body === undefined || body === null || body === '' ? [] : [`${status} of ${route.operationId} has no body`];
    const schema = content['application/json']?.schema;
    if (!schema) return [`${status} of ${route.operationId} has no application/json schema`];
    return this.run(`res:${route.operationId}:${status}`, schema, body);
  }

  private run(key: string, schema: unknown, data: unknown): string[] {
    let validate = this.validators.get(key);
    if (!validate) {
      // Inline schemas refer to '#/components/...' of the whole document.
      const rooted = untypedNullable(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"gh#/components/')));
      validate = this.ajv.compile(rooted);
      this.validators.set(key, validate);
    }
    if (validate(data)) return [];
    return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? 'invalid'}`);
  }
}

/**
 * OpenAPI 3.0's `nullable: true` beside a `$ref` or `allOf` (no `type`) means "or null"; ajv
 * accepts `nullable` only next to `type`. Rewrites those to anyOf [schema, null], in place.
 */
function untypedNullable<T>(node: T): T {
  if (Array.isArray(node)) {
    for (const x of node) untypedNullable(x);
    return node;
  }
  if (!node || typeof node !== 'object') return node;
  const o = node as Record<string, unknown>;
  for (const v of Object.values(o)) untypedNullable(v);
  if (o.nullable === true && !('type' in o)) {
    const rest: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(o)) if (k !== 'nullable') rest[k] = v;
    for (const k of Object.keys(o)) delete o[k];
    o.anyOf = [rest, { type: 'null' }];
  }
  return node;
}
