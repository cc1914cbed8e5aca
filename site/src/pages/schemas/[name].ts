import { jsonSchemas } from '@ptb/core';
import type { APIRoute, GetStaticPaths } from 'astro';

export const getStaticPaths = (() => Object.keys(jsonSchemas()).map((name) => ({ params: { name } }))) satisfies GetStaticPaths;

export const GET: APIRoute = ({ params }) => {
  const schema = jsonSchemas()[params.name ?? ''];
  if (!schema) return new Response('not found', { status: 404 });
  return new Response(`${JSON.stringify(schema, null, 2)}\n`, { headers: { 'Content-Type': 'application/schema+json' } });
};
