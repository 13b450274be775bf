#!/usr/bin/env node
// The CLI is TypeScript run through tsx's loader, so `npm ci && npx meles …` needs no build step.
// The loader is registered through `--import` for child processes too (see cli/main.ts).
import { register } from 'tsx/esm/api';

register();
await import(new URL('../cli/main.ts', import.meta.url).href);
