import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The layers, lowest first: `shared/` (pure definitions both ends agree on, e.g. the cursor order;
 * it imports nothing) → `db/` (schema, migrations, seed) → `server/` (the API) → `scripts/`
 * (running it). A folder imports only its own layer and those below; the web app (`app/`) talks to
 * the API over HTTP and imports none of them but `shared/`. Tests (`*.test.ts`, `test/`, `e2e/`) and `bench/` may
 * import anything. Only relative imports are checked: packages are not layers.
 */
const MAY_IMPORT: Record<string, string[]> = {
  shared: ['shared'],
  db: ['shared', 'db'],
  server: ['shared', 'db', 'server'],
  scripts: ['shared', 'db', 'server', 'scripts'],
  app: ['shared', 'app'],
};

const ROOT = resolve(import.meta.dirname, '..');
const SOURCE = /\.(ts|tsx|mts|js|mjs)$/;
const IMPORT = /(?:^|[\s;])(?:import|export)\s[^'"]*?from\s*['"](\.[^'"]+)['"]|import\(\s*['"](\.[^'"]+)['"]\s*\)/g;

function sources(folder: string): string[] {
  return readdirSync(join(ROOT, folder), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && SOURCE.test(entry.name) && !/\.test\.tsx?$/.test(entry.name))
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .filter((file) => !file.split('/').includes('node_modules') && !file.split('/').includes('.next'));
}

/** Every relative import of a file, as `[specifier, the top-level folder it lands in]`. */
function importsOf(file: string): [string, string][] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((match) => {
    const specifier = match[1] ?? match[2];
    const target = relative(ROOT, resolve(ROOT, dirname(file), specifier));
    return [specifier, target.split('/')[0]];
  });
}

describe('layers', () => {
  it('finds the imports it checks', () => {
    expect(importsOf('server/app.ts')).toContainEqual(['./yoga', 'server']);
    expect(importsOf('scripts/lib/api.ts')).toContainEqual(['../../server/app', 'server']);
  });

  it.each(Object.keys(MAY_IMPORT))('%s/ imports no layer above it', (folder) => {
    const upward = sources(folder).flatMap((file) =>
      importsOf(file)
        .filter(([, layer]) => !MAY_IMPORT[folder].includes(layer) && layer in MAY_IMPORT)
        .map(([specifier]) => `${file} → ${specifier}`),
    );
    expect(upward).toEqual([]);
  });

  it('no source file outside the tests imports the test harness', () => {
    const harness = Object.keys(MAY_IMPORT).flatMap((folder) =>
      sources(folder).flatMap((file) =>
        importsOf(file)
          .filter(([, layer]) => layer === 'test' || layer === 'e2e' || layer === 'bench')
          .map(([specifier]) => `${file} → ${specifier}`),
      ),
    );
    expect(harness).toEqual([]);
  });
});
