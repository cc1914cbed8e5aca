import type { APIRoute } from 'astro';
import { siteData } from '../lib/data.ts';
import { leaderboardCsv } from '../lib/downloads.ts';

export const GET: APIRoute = async () => {
  const { boards } = await siteData();
  const board = boards.get('all');
  if (!board) throw new Error('no leaderboard');
  return new Response(leaderboardCsv(board), { headers: { 'Content-Type': 'text/csv; charset=utf-8' } });
};
