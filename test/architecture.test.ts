/**
 * The architecture as a test: every import between the repository's own `.ts` files (value and
 * type imports, `export … from`, `import('…')` types and dynamic imports) must point down the
 * layer table below or stay in its own room, and no chain of imports may lead back to where it
 * started. Type-only imports count: they are how a "harmless" cycle starts, and moving a type is
 * the fix anyway. Only relative specifiers are checked; packages are outside the layers.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The layers, highest first. A file may import files of its own room and of any room with a lower
 * rank. Rooms that share a rank are peers and must not import each other: `training` and
 * `downstream` (training makes embeddings, downstream scores any feature file; neither needs the
 * other), `encoders` and `metric` (the loss never sees the model, the model never sees the loss).
 * `'.'` is the top level (`errors.ts`, `options.ts`): the bottom, importable by everyone.
 * `scripts/` and `test/` sit above everything: they may import any room, and no room imports them.
 */
const LAYERS: readonly { readonly rank: number; readonly rooms: readonly string[] }[] = [
  { rank: 9, rooms: ['scripts', 'test'] },
  { rank: 8, rooms: ['cli'] },
  { rank: 7, rooms: ['pipeline'] },
  { rank: 6, rooms: ['report'] },
  { rank: 5, rooms: ['training', 'downstream'] },
  { rank: 4, rooms: ['encoders', 'metric'] },
  { rank: 3, rooms: ['sampling'] },
  { rank: 2, rooms: ['data'] },
  { rank: 1, rooms: ['.'] },
];

/** The top level's files (the bottom layer); other top-level `.ts` files are scratch and not checked. */
const TOP_LEVEL_FILES = ['errors.ts', 'options.ts'];

const RANK = new Map(LAYERS.flatMap((layer) => layer.rooms.map((room) => [room, layer.rank] as const)));
const SOURCE_ROOMS = LAYERS.flatMap((layer) => layer.rooms).filter((room) => room !== '.');

/** One import of one file: the importing file, the imported file (both relative to the repository) and how. */
interface ImportEdge {
  readonly from: string;
  readonly to: string;
  readonly typeOnly: boolean;
}

function listTsFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) listTsFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Every `.ts` file of the layered rooms plus the top-level `.ts` files, relative to the repository. */
function sourceFiles(): string[] {
  const top = TOP_LEVEL_FILES.map((name) => join(ROOT, name));
  const rooms = SOURCE_ROOMS.filter((room) => existsSync(join(ROOT, room))).flatMap((room) => listTsFiles(join(ROOT, room)));
  return [...top, ...rooms].map((path) => relative(ROOT, path)).sort();
}

/** The module specifiers of a file, each with whether only types come through it. */
function specifiersOf(file: string): { specifier: string; typeOnly: boolean }[] {
  const source = ts.createSourceFile(file, readFileSync(join(ROOT, file), 'utf8'), ts.ScriptTarget.Latest, true);
  const found: { specifier: string; typeOnly: boolean }[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
      const clause = node.importClause;
      const namedTypesOnly =
        clause !== undefined && clause.name === undefined && clause.namedBindings !== undefined && ts.isNamedImports(clause.namedBindings) &&
        clause.namedBindings.elements.length > 0 && clause.namedBindings.elements.every((e) => e.isTypeOnly);
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: clause?.isTypeOnly === true || namedTypesOnly });
    } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
      found.push({ specifier: node.moduleSpecifier.text, typeOnly: node.isTypeOnly });
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
      found.push({ specifier: node.argument.literal.text, typeOnly: true });
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteral(node.arguments[0])) {
      found.push({ specifier: node.arguments[0].text, typeOnly: false });
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** The repository file a relative specifier names (`./x.js` is `./x.ts` on disk), or undefined for packages and non-TS files. */
function resolveSpecifier(from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const target = join(dirname(from), specifier);
  for (const candidate of [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, join(target, 'index.ts')]) {
    if (candidate.endsWith('.ts') && existsSync(join(ROOT, candidate))) return candidate;
  }
  return undefined;
}

/** The room of a repository path: its first folder, or `'.'` at the top level. */
function roomOf(path: string): string {
  const parts = path.split(sep);
  return parts.length === 1 ? '.' : parts[0]!;
}

function importGraph(): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const from of sourceFiles()) {
    for (const { specifier, typeOnly } of specifiersOf(from)) {
      const to = resolveSpecifier(from, specifier);
      if (to !== undefined) edges.push({ from, to, typeOnly });
    }
  }
  return edges;
}

/** Why an import breaks the layer rule, or undefined when it is allowed. */
function layerViolation(edge: ImportEdge): string | undefined {
  const fromRoom = roomOf(edge.from);
  const toRoom = roomOf(edge.to);
  if (fromRoom === toRoom) return undefined;
  const fromRank = RANK.get(fromRoom);
  const toRank = RANK.get(toRoom);
  if (fromRank === undefined) return `${edge.from} is in \`${fromRoom}/\`, which has no row in the layer table`;
  if (toRank === undefined) return `${edge.from} imports ${edge.to} in \`${toRoom}/\`, which has no row in the layer table`;
  if (toRank < fromRank) return undefined;
  const how = toRank === fromRank ? 'a peer room' : 'a higher layer';
  return `${edge.from} (${fromRoom}) imports ${edge.to}: \`${toRoom}/\` is ${how}${edge.typeOnly ? ' (type-only import)' : ''}`;
}

/** Every elementary cycle's first appearance, found by depth-first search (one representative per strongly connected part is enough to fail). */
function findCycles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, string[]>();
  for (const { from, to } of edges) next.set(from, [...(next.get(from) ?? []), to]);
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const to of next.get(file) ?? []) {
      const seen = state.get(to);
      if (seen === 'open') cycles.push([...stack.slice(stack.indexOf(to)), to]);
      else if (seen === undefined) visit(to);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...next.keys()].sort()) if (!state.has(file)) visit(file);
  return cycles;
}

describe('architecture', () => {
  const edges = importGraph();

  it('finds the imports it checks (the parser sees value, type and re-export imports)', () => {
    assert.ok(edges.length > 300, `only ${edges.length} imports found`);
    assert.ok(edges.some((e) => e.typeOnly), 'no type-only import found');
    assert.ok(edges.some((e) => roomOf(e.from) === 'cli' && roomOf(e.to) === 'pipeline'));
  });

  // Folders that hold no source: the CLI shim, dependencies, docs, and the gitignored outputs of
  // runs and benchmarks (a benchmark may leave .ts files there; they are not part of the code).
  const OUTSIDE_LAYERS = ['bin', 'node_modules', 'runs', 'docs', 'bench-out', 'dist'];

  it('every room of the repository has a row in the layer table', () => {
    const folders = readdirSync(ROOT).filter((name) => !name.startsWith('.') && statSync(join(ROOT, name)).isDirectory() && listTsFiles(join(ROOT, name)).length > 0);
    const unlisted = folders.filter((name) => !RANK.has(name) && !OUTSIDE_LAYERS.includes(name));
    assert.deepEqual(unlisted, [], `folders with TypeScript but no layer: ${unlisted.join(', ')}`);
  });

  it('imports only go down the layers (or stay in their room)', () => {
    const violations = edges.map(layerViolation).filter((v): v is string => v !== undefined);
    assert.deepEqual(violations, [], `\n${violations.join('\n')}`);
  });

  it('commands do not import each other (shared helpers live beside cli/main.ts)', () => {
    const commands = `cli${sep}commands${sep}`;
    const sideways = edges
      .filter((e) => e.from.startsWith(commands) && e.to.startsWith(commands) && !e.from.endsWith(`${sep}index.ts`) && !e.from.endsWith('.test.ts'))
      .map((e) => `${e.from} imports ${e.to}`);
    assert.deepEqual(sideways, [], `\n${sideways.join('\n')}`);
  });

  it('has no import cycle between files, type-only imports included', () => {
    const cycles = findCycles(edges).map((cycle) => cycle.join(' → '));
    assert.deepEqual(cycles, [], `\n${cycles.join('\n')}`);
  });
});
