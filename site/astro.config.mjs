// @ts-check
import { defineConfig } from 'astro/config';

// GitHub Pages serves a project site under /<repo>/: PTB_SITE_BASE sets that path, PTB_SITE_URL the origin.
const base = process.env.PTB_SITE_BASE ?? '/';

export default defineConfig({
  site: process.env.PTB_SITE_URL ?? 'https://posttrainbench.github.io',
  base,
  trailingSlash: 'always',
  output: 'static',
  build: { format: 'directory', inlineStylesheets: 'always' },
  prefetch: false,
  devToolbar: { enabled: false },
});
