import { readFileSync } from 'node:fs';
import { writeResults } from './lib/report';

// Re-renders bench/results/<date>.md and .svg from a results JSON: `npx tsx bench/render.ts bench/results/<date>.json`.
const file = process.argv[2];
if (!file) throw new Error('usage: tsx bench/render.ts bench/results/<date>.json');
console.log(writeResults(JSON.parse(readFileSync(file, 'utf8'))).join('\n'));
