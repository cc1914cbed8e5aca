import type { APIRoute } from 'astro';
import { siteData } from '../lib/data.ts';

export const GET: APIRoute = async () => {
  const { boards } = await siteData();
  return new Response(`${JSON.stringify(boards.get('all'), null, 1)}\n`, { headers: { 'Content-Type': 'application/json' } });
};
