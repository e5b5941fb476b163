import { readFileSync } from 'node:fs';

/**
 * A V8 `.heapsnapshot` read into typed arrays (no dependency, no giant JS arrays), and the few
 * analyses bench/idle-heap.ts prints: per-class counts and sizes, which objects are new since an
 * earlier snapshot of the same process (node ids are stable within a process), shortest retainer
 * chains, and the dominator tree (what would be freed if an object became unreachable).
 */
export type Snapshot = {
  nodeCount: number;
  /** Node fields, `nodeCount × nf` (type, name, id, self_size, edge_count, …). */
  nodes: Uint32Array;
  nf: number;
  /** Edge fields, `edgeCount × ef` (type, name_or_index, to_node). */
  edges: Uint32Array;
  ef: number;
  /** Index into `edges` (in edges, not fields) of each node's first edge; `nodeCount + 1` entries. */
  firstEdge: Uint32Array;
  strings: string[];
  /** Where closures are defined (1-based line, 0-based column), by node ordinal. */
  lines: Map<number, { line: number; column: number }>;
  nodeTypes: string[];
  edgeTypes: string[];
  f: { type: number; name: number; id: number; size: number; edgeCount: number };
  e: { type: number; name: number; to: number };
};

/** Non-negative integers of a JSON array starting at `from`, into `out`; returns the index after the last one. */
function readInts(buf: Buffer, from: number, out: Uint32Array): number {
  let i = from;
  for (let k = 0; k < out.length; k++) {
    let c = buf[i];
    while (c < 48 || c > 57) c = buf[++i];
    let v = 0;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = buf[++i];
    }
    out[k] = v;
  }
  return i;
}

/** Integers of a JSON array starting at `from`, up to its closing bracket. */
function readIntsToEnd(buf: Buffer, from: number): number[] {
  const out: number[] = [];
  let i = from;
  for (;;) {
    let c = buf[i];
    while (c !== 93 && (c < 48 || c > 57)) c = buf[++i];
    if (c === 93) return out;
    let v = 0;
    while (c >= 48 && c <= 57) {
      v = v * 10 + (c - 48);
      c = buf[++i];
    }
    out.push(v);
  }
}

export function readSnapshot(path: string): Snapshot {
  const buf = readFileSync(path);
  const nodesAt = buf.indexOf('"nodes":[');
  const header = JSON.parse(`${buf.toString('utf8', 0, nodesAt).trim().replace(/,$/, '')}}`).snapshot;
  const meta = header.meta;
  const nodeFields: string[] = meta.node_fields;
  const edgeFields: string[] = meta.edge_fields;
  const nf = nodeFields.length;
  const ef = edgeFields.length;
  const nodes = new Uint32Array(header.node_count * nf);
  const afterNodes = readInts(buf, nodesAt + 9, nodes);
  const edgesAt = buf.indexOf('"edges":[', afterNodes);
  const edges = new Uint32Array(header.edge_count * ef);
  readInts(buf, edgesAt + 9, edges);
  const stringsAt = buf.lastIndexOf('"strings":[');
  const stringsEnd = buf.lastIndexOf(']');
  const strings: string[] = JSON.parse(buf.toString('utf8', stringsAt + 10, stringsEnd + 1));
  const lines = new Map<number, { line: number; column: number }>();
  const locationsAt = buf.indexOf('"locations":[', edgesAt);
  if (locationsAt >= 0) {
    const loc = readIntsToEnd(buf, locationsAt + 13);
    const lf = (meta.location_fields as string[]).length;
    for (let i = 0; i + lf <= loc.length; i += lf) lines.set(loc[i] / nf, { line: loc[i + 2] + 1, column: loc[i + 3] });
  }
  const f = {
    type: nodeFields.indexOf('type'),
    name: nodeFields.indexOf('name'),
    id: nodeFields.indexOf('id'),
    size: nodeFields.indexOf('self_size'),
    edgeCount: nodeFields.indexOf('edge_count'),
  };
  const e = {
    type: edgeFields.indexOf('type'),
    name: edgeFields.indexOf('name_or_index'),
    to: edgeFields.indexOf('to_node'),
  };
  const firstEdge = new Uint32Array(header.node_count + 1);
  for (let n = 0; n < header.node_count; n++) firstEdge[n + 1] = firstEdge[n] + nodes[n * nf + f.edgeCount];
  return {
    nodeCount: header.node_count,
    nodes,
    nf,
    edges,
    ef,
    firstEdge,
    strings,
    lines,
    nodeTypes: meta.node_types[0],
    edgeTypes: meta.edge_types[0],
    f,
    e,
  };
}

const STRING_TYPES = new Set(['string', 'concatenated string', 'sliced string']);

/**
 * A class id per node: the constructor name for objects and native (embedder) objects, the
 * function name for closures, the V8-internal name for hidden objects and arrays, one class for
 * all strings (see `stringPrefix` for their contents) and one for compiled code.
 */
export function classify(s: Snapshot, root = process.cwd()): { classOf: Int32Array; names: string[] } {
  const ids = new Map<number, number>();
  const byName = new Map<string, number>();
  const names: string[] = [];
  const classOf = new Int32Array(s.nodeCount);
  const intern = (label: string) => {
    let id = byName.get(label);
    if (id === undefined) byName.set(label, (id = names.push(label) - 1));
    return id;
  };
  const closureType = s.nodeTypes.indexOf('closure');
  const bySource = new Map<string, number>();
  const bundles = new Map<string, (line: number) => string>();
  for (let n = 0; n < s.nodeCount; n++) {
    const type = s.nodes[n * s.nf + s.f.type];
    const name = s.nodes[n * s.nf + s.f.name];
    if (type === closureType) {
      // Closures: by function and where it is defined, so each source function is its own class.
      // tsx compiles each file onto one line (column, not line, tells functions apart) and with
      // keepNames, whose own `name` property names arrows V8 sees as anonymous.
      const shared = child(s, n, 'shared');
      const own = child(s, n, 'name');
      const script = shared >= 0 ? child(s, shared, 'script_or_debug_info') : -1;
      const url = script >= 0 ? s.strings[s.nodes[script * s.nf + s.f.name]] : '';
      const location = s.lines.get(n);
      const key = `${shared}|${own >= 0 ? s.nodes[own * s.nf + s.f.name] : -1}`;
      let id = bySource.get(key);
      if (id === undefined) {
        const fnName =
          (own >= 0 && isString(s, own) ? s.strings[s.nodes[own * s.nf + s.f.name]] : '') ||
          s.strings[name] ||
          '(anonymous)';
        let where = url ? shortPath(url, root) : '';
        if (url.endsWith('-bundle.mjs') && location) {
          let resolve = bundles.get(url);
          if (!resolve) bundles.set(url, (resolve = bundleModules(url.replace(/^file:\/\//, ''), root)));
          where = resolve(location.line);
        } else if (where && location) where += location.line > 1 ? `:${location.line}` : `@${location.column}`;
        id = intern(`(closure) ${fnName}${where ? ` ${where}` : ''}`);
        bySource.set(key, id);
      }
      classOf[n] = id;
      continue;
    }
    const key = name * 64 + type;
    let id = ids.get(key);
    if (id === undefined) {
      const t = s.nodeTypes[type];
      const raw = s.strings[name];
      const label =
        t === 'object' || t === 'native'
          ? raw.replace(/ @\d+/g, '')
          : STRING_TYPES.has(t)
            ? '(string)'
            : t === 'code'
              ? '(compiled code)'
              : t === 'number'
                ? '(heap number)'
                : `(${t}) ${raw.replace(/ @\d+/g, '')}`;
      id = intern(label);
      ids.set(key, id);
    }
    classOf[n] = id;
  }
  return { classOf, names };
}

/** An esbuild bundle marks each module with a `// path` line: bundle line → "path:line-in-bundle". */
function bundleModules(file: string, root: string): (line: number) => string {
  const starts: { line: number; path: string }[] = [];
  try {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        const m = /^\/\/ ((?:\.\.\/)*[\w./@-]+\.[cm]?[jt]s)$/.exec(text);
        if (m) starts.push({ line: i + 1, path: m[1].replace(/^(\.\.\/)+/, '') });
      });
  } catch {
    /* no bundle on disk: bundle lines only */
  }
  return (line) => {
    let at = -1;
    for (let i = 0; i < starts.length && starts[i].line <= line; i++) at = i;
    return at < 0 ? `bundle:${line}` : `${shortPath(starts[at].path, root)} (bundle:${line})`;
  };
}

/** The target of a node's first edge with this name, or -1. */
export function child(s: Snapshot, n: number, edgeName: string): number {
  for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
    const type = s.edgeTypes[s.edges[e * s.ef + s.e.type]];
    if (type !== 'element' && type !== 'hidden' && s.strings[s.edges[e * s.ef + s.e.name]] === edgeName)
      return s.edges[e * s.ef + s.e.to] / s.nf;
  }
  return -1;
}

/** A script URL as a short path: inside node_modules from the package on, else relative to the repository. */
function shortPath(url: string, root: string): string {
  const path = url.replace(/^file:\/\//, '');
  const at = path.lastIndexOf('node_modules/');
  if (at >= 0) return path.slice(at + 'node_modules/'.length);
  return path.startsWith(`${root}/`) ? path.slice(root.length + 1) : path;
}

export const isString = (s: Snapshot, n: number) => STRING_TYPES.has(s.nodeTypes[s.nodes[n * s.nf + s.f.type]]);
export const selfSize = (s: Snapshot, n: number) => s.nodes[n * s.nf + s.f.size];
export const nodeId = (s: Snapshot, n: number) => s.nodes[n * s.nf + s.f.id];
export const nodeName = (s: Snapshot, n: number) => s.strings[s.nodes[n * s.nf + s.f.name]];

/** Which nodes of `later` did not exist in `earlier` (same process: ids are stable). */
export function newNodes(earlier: Snapshot, later: Snapshot): Uint8Array {
  let max = 0;
  for (let n = 0; n < earlier.nodeCount; n++) max = Math.max(max, nodeId(earlier, n));
  const seen = new Uint8Array(max + 1);
  for (let n = 0; n < earlier.nodeCount; n++) seen[nodeId(earlier, n)] = 1;
  const isNew = new Uint8Array(later.nodeCount);
  for (let n = 0; n < later.nodeCount; n++) {
    const id = nodeId(later, n);
    isNew[n] = id > max || !seen[id] ? 1 : 0;
  }
  return isNew;
}

/** Per class: count and self size. */
export function totals(s: Snapshot, classOf: Int32Array, classes: number, only?: Uint8Array) {
  const count = new Float64Array(classes);
  const size = new Float64Array(classes);
  for (let n = 0; n < s.nodeCount; n++) {
    if (only && !only[n]) continue;
    count[classOf[n]] += 1;
    size[classOf[n]] += selfSize(s, n);
  }
  return { count, size };
}

/** A readable edge label; element and hidden indices, and ids inside names, are collapsed so that per-subscription copies aggregate. */
export function edgeLabel(s: Snapshot, edge: number): string {
  const type = s.edgeTypes[s.edges[edge * s.ef + s.e.type]];
  const name = s.edges[edge * s.ef + s.e.name];
  if (type === 'element' || type === 'hidden') return '[]';
  const text = s.strings[name] ?? String(name);
  // WeakMap entries are named "<index> / part of key (… @id) -> value (… @id) pair in WeakMap (table @id)".
  return (type === 'context' ? `ctx:${text}` : text)
    .replace(/ @\d+/g, '')
    .replace(/^\d+ \/ /, '')
    .replace(/\s+/g, ' ')
    .slice(0, 60);
}

const isWeak = (s: Snapshot, edge: number) => s.edgeTypes[s.edges[edge * s.ef + s.e.type]] === 'weak';

/**
 * The graph the dominator tree and retainer chains need: predecessors over strong edges,
 * BFS distance from the root, and a depth-first post-order.
 */
export function analyseGraph(s: Snapshot) {
  const N = s.nodeCount;
  const toNode = (edge: number) => s.edges[edge * s.ef + s.e.to] / s.nf;
  // Predecessors (CSR), strong edges only: pred nodes and the edge used.
  const predCount = new Uint32Array(N + 1);
  for (let n = 0; n < N; n++)
    for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) if (!isWeak(s, e)) predCount[toNode(e) + 1] += 1;
  for (let n = 0; n < N; n++) predCount[n + 1] += predCount[n];
  const predStart = predCount;
  const fill = predStart.slice(0, N);
  const predNode = new Uint32Array(predStart[N]);
  const predEdge = new Uint32Array(predStart[N]);
  for (let n = 0; n < N; n++)
    for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
      if (isWeak(s, e)) continue;
      const t = toNode(e);
      predNode[fill[t]] = n;
      predEdge[fill[t]++] = e;
    }

  // BFS distances from the root (node 0).
  const distance = new Int32Array(N).fill(-1);
  const queue = new Uint32Array(N);
  let head = 0;
  let tail = 0;
  distance[0] = 0;
  queue[tail++] = 0;
  while (head < tail) {
    const n = queue[head++];
    for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
      if (isWeak(s, e)) continue;
      const t = toNode(e);
      if (distance[t] === -1) {
        distance[t] = distance[n] + 1;
        queue[tail++] = t;
      }
    }
  }

  // Iterative DFS post-order from the root.
  const post = new Int32Array(N).fill(-1); // node → post-order number
  const order = new Uint32Array(N); // post-order number → node
  const stackNode = new Uint32Array(N);
  const stackEdge = new Uint32Array(N);
  const visited = new Uint8Array(N);
  let sp = 0;
  let count = 0;
  stackNode[0] = 0;
  stackEdge[0] = s.firstEdge[0];
  visited[0] = 1;
  sp = 1;
  while (sp > 0) {
    const n = stackNode[sp - 1];
    let e = stackEdge[sp - 1];
    let pushed = false;
    while (e < s.firstEdge[n + 1]) {
      const cur = e++;
      if (isWeak(s, cur)) continue;
      const t = toNode(cur);
      if (!visited[t]) {
        visited[t] = 1;
        stackEdge[sp - 1] = e;
        stackNode[sp] = t;
        stackEdge[sp] = s.firstEdge[t];
        sp++;
        pushed = true;
        break;
      }
    }
    if (pushed) continue;
    sp--;
    post[n] = count;
    order[count++] = n;
  }

  // Dominators (Cooper, Harvey & Kennedy), on post-order numbers.
  const reachable = count;
  const idomPost = new Int32Array(reachable).fill(-1);
  const root = post[0];
  idomPost[root] = root;
  const intersect = (a: number, b: number) => {
    while (a !== b) {
      while (a < b) a = idomPost[a];
      while (b < a) b = idomPost[b];
    }
    return a;
  };
  for (let changed = true; changed; ) {
    changed = false;
    for (let p = reachable - 2; p >= 0; p--) {
      const n = order[p];
      let idom = -1;
      for (let i = predStart[n]; i < predStart[n + 1]; i++) {
        const q = post[predNode[i]];
        if (q < 0 || idomPost[q] === -1) continue;
        idom = idom === -1 ? q : intersect(q, idom);
      }
      if (idom !== -1 && idomPost[p] !== idom) {
        idomPost[p] = idom;
        changed = true;
      }
    }
  }
  const idom = new Int32Array(N).fill(-1);
  for (let p = 0; p < reachable; p++) idom[order[p]] = order[idomPost[p]];
  idom[0] = -1;

  // Retained sizes: children before parents is post-order of the DFS (dominators come first in reverse post-order).
  const retained = new Float64Array(N);
  for (let p = 0; p < reachable; p++) retained[order[p]] += selfSize(s, order[p]);
  for (let p = 0; p < reachable; p++) {
    const n = order[p];
    if (idom[n] >= 0) retained[idom[n]] += retained[n];
  }
  // The edge from each node's immediate dominator to it, when there is a direct one.
  const idomEdge = new Int32Array(N).fill(-1);
  for (let n = 0; n < N; n++)
    for (let e = s.firstEdge[n]; e < s.firstEdge[n + 1]; e++) {
      if (isWeak(s, e)) continue;
      const t = toNode(e);
      if (idom[t] === n && idomEdge[t] === -1) idomEdge[t] = e;
    }
  return { predStart, predNode, predEdge, distance, order, reachable, idom, idomEdge, retained };
}

export type Graph = ReturnType<typeof analyseGraph>;

/** The shortest retainer chain of a node (each step: the retainer closest to the root), as labels. */
export function retainerChain(
  s: Snapshot,
  g: Graph,
  label: (n: number) => string,
  node: number,
  steps: number,
): string {
  const parts: string[] = [];
  let n = node;
  for (let k = 0; k < steps; k++) {
    let best = -1;
    let bestEdge = -1;
    for (let i = g.predStart[n]; i < g.predStart[n + 1]; i++) {
      const p = g.predNode[i];
      if (g.distance[p] < 0) continue;
      if (best === -1 || g.distance[p] < g.distance[best]) (best = p), (bestEdge = g.predEdge[i]);
    }
    if (best <= 0) break;
    parts.push(`${label(best)}.${edgeLabel(s, bestEdge)}`);
    n = best;
  }
  return parts.join(' ← ');
}

/** First characters of a string node's value (V8 names string nodes by their content). */
export function stringPrefix(s: Snapshot, n: number, length = 50): string {
  return JSON.stringify(nodeName(s, n).slice(0, length));
}
