/**
 * The stage of the message path a CPU-profile sample belongs to (issue 17's per-stage cost
 * table), decided by its call stack: the innermost frame in a known module of the message path
 * (packages/core/{intake,mime,cache,store,queue,scan,aggregate,observe}, the producer's front
 * ends, packages/scanners, bullmq, minio, pino, prom-client, Node's hashing) names it. ioredis
 * and Node's HTTP and file internals name a stage only when nothing above them does: their
 * replies and callbacks start from the event loop, with no caller on the stack.
 */

export type Role = 'producer' | 'worker';

export type Stage =
  | 'receive' | 'split-decode' | 'hash' | 'plan-select' | 'cache' | 'store' | 'enqueue' | 'wait-answer'
  | 'take-job' | 'scan-step' | 'scanner-io' | 'complete' | 'aggregate' | 'observe'
  | 'redis-client' | 'node-other' | 'gc' | 'program' | 'idle' | 'other';

/** The rows every process has, after its own stages. */
const SHARED_ROWS: readonly (readonly [Stage, string])[] = [
  ['observe', 'logging and metrics'],
  ['redis-client', 'Redis client (ioredis replies)'],
  ['node-other', 'Node internals, not attributed'],
  ['other', 'other JavaScript'],
  ['program', '(program): V8 and native, no JS frame'],
  ['gc', 'garbage collection'],
];

/** Row labels per process, in the order of the message path. */
export const STAGE_LABELS: Record<Role, readonly (readonly [Stage, string])[]> = {
  producer: [
    ['receive', 'receive (front end, HTTP parsing)'],
    ['split-decode', 'split and decode (mime/)'],
    ['hash', 'hash (SHA-256, BLAKE2b)'],
    ['plan-select', 'plan and select (intake/, part filters)'],
    ['cache', 'cache probe'],
    ['store', 'store write'],
    ['enqueue', 'enqueue (queue/, BullMQ flow)'],
    ['wait-answer', 'wait and answer'],
    ['aggregate', 'aggregation (all cached)'],
    ['take-job', 'take the job'],
    ['scan-step', 'scan step'],
    ['scanner-io', 'scanner I/O'],
    ['complete', 'complete'],
    ...SHARED_ROWS,
  ],
  worker: [
    ['take-job', 'take the job (BullMQ)'],
    ['store', 'read the part (store/)'],
    ['scanner-io', 'scanner I/O (packages/scanners)'],
    ['cache', 'cache lookup and write'],
    ['scan-step', 'scan step (scan-part itself)'],
    ['complete', 'complete (BullMQ)'],
    ['aggregate', 'aggregation'],
    ['enqueue', 'enqueue (queue/)'],
    ['hash', 'hash'],
    ['split-decode', 'split and decode'],
    ['receive', 'receive'],
    ['plan-select', 'plan and select'],
    ['wait-answer', 'wait and answer'],
    ...SHARED_ROWS,
  ],
};

export interface Frame {
  readonly functionName: string;
  readonly url: string;
}

/** undefined: this frame names no stage (keep looking towards the root). */
type FrameStage = Stage | undefined;

const ANSWER_FILES = /\/(respond|clamd-reply|result-to-reply|verdict-to-reply|encode-reply)\.[jt]s$/;
/** The scanner clients and their transport (not the helpers the producer uses too, such as RefreshedValue). */
const SCANNER_IO = /\/packages\/scanners\/(?:dist|src)\/(?:clients|transport)\//;
const BULL_COMPLETE = /moveToFinished|moveToCompleted|moveToFailed|handleCompleted|handleFailed/;

function corePath(url: string): { folder: string; file: string } | null {
  const m = /\/packages\/core\/(?:dist|src)\/(\w+)\/([\w.-]+)$/.exec(url);
  return m ? { folder: m[1]!, file: m[2]!.replace(/\.[jt]s$/, '') } : null;
}

function coreStage(folder: string, file: string, fn: string): FrameStage {
  switch (folder) {
    case 'mime':
      return file === 'select-parts' || file === 'part-filters' ? 'plan-select' : 'split-decode';
    case 'cache':
      return file === 'blake2b' ? 'hash' : 'cache';
    case 'store':
      return 'store';
    case 'queue':
      return 'enqueue';
    case 'aggregate':
      return 'aggregate';
    case 'observe':
      // The front ends answer through the ops listener's JSON helper.
      return file === 'ops-server' && fn === 'sendJson' ? 'wait-answer' : 'observe';
    case 'scan':
      return file === 'signature-versions' ? 'cache' : 'scan-step';
    case 'intake':
      if (file === 'accept-message') return fn === 'lookupCached' ? 'cache' : fn === 'scanJob' ? 'enqueue' : 'plan-select';
      if (file === 'await-result' || file === 'submit-message') return 'wait-answer';
      if (file === 'backpressure') return 'enqueue';
      if (file === 'inflight-budget') return 'receive';
      if (file === 'within' || file === 'classify-failure' || file === 'open-intake') return undefined;
      return 'plan-select';
    default:
      return undefined;
  }
}

/** The package under node_modules, or null. */
function npmPackage(url: string): { name: string; file: string } | null {
  const at = url.lastIndexOf('node_modules/');
  if (at < 0) return null;
  const rest = url.slice(at + 'node_modules/'.length).split('/');
  const scoped = rest[0]!.startsWith('@');
  return { name: scoped ? `${rest[0]}/${rest[1]}` : rest[0]!, file: rest[rest.length - 1]! };
}

/** The stage this frame names by itself when it is the innermost known one. */
export function strongStage(f: Frame, role: Role): FrameStage {
  const { url, functionName: fn } = f;
  if (url === '') return undefined;
  const core = corePath(url);
  if (core) return coreStage(core.folder, core.file, fn);
  if (SCANNER_IO.test(url)) return 'scanner-io';
  if (/\/apps\/producer\/(?:dist|src)\/frontends\//.test(url)) return ANSWER_FILES.test(url) ? 'wait-answer' : 'receive';
  if (url.startsWith('node:internal/crypto/hash')) return 'hash';
  const pkg = npmPackage(url);
  if (!pkg) return undefined;
  switch (pkg.name) {
    case 'bullmq':
      if (pkg.file === 'queue-events.js') return 'wait-answer';
      if (pkg.file === 'flow-producer.js') return 'enqueue';
      if (BULL_COMPLETE.test(fn)) return 'complete';
      return undefined;
    case 'minio':
      return 'store';
    case 'pino':
    case 'prom-client':
    case 'sonic-boom':
      return 'observe';
    case '@zone-eu/mailsplit':
    case 'libmime':
    case 'libqp':
    case 'libbase64':
      return 'split-decode';
    default:
      return role === 'producer' && pkg.name === 'bullmq' ? 'enqueue' : undefined;
  }
}

/** What a frame names when nothing above or below it in the stack names a stage. */
export function weakStage(f: Frame, role: Role): FrameStage {
  const { url } = f;
  if (url === '') return undefined;
  const pkg = npmPackage(url);
  if (pkg?.name === 'bullmq') return role === 'producer' ? 'enqueue' : 'take-job';
  if (pkg?.name === 'ioredis' || pkg?.name === 'redis-parser' || pkg?.name === '@ioredis/commands') return 'redis-client';
  if (role === 'producer' && /^node:_http_(server|incoming|common)/.test(url)) return 'receive';
  if (role === 'producer' && url.startsWith('node:_http_outgoing')) return 'wait-answer';
  // At run time the folder store is the only file user; a new TCP connection of a worker is a scanner's.
  if (/^node:(internal\/)?fs\b/.test(url)) return 'store';
  if (role === 'worker' && url === 'node:net' && f.functionName === 'internalConnect') return 'scanner-io';
  if (url.startsWith('node:')) return 'node-other';
  return 'other';
}

/** Among the weak stages of a stack, the first of this list wins (a library over Node's internals over unknown code). */
const WEAK_RANK: readonly Stage[] = ['enqueue', 'take-job', 'redis-client', 'receive', 'wait-answer', 'store', 'scanner-io', 'node-other', 'other'];

/** The stage of every node of a profile (nodes as V8 writes them: each lists its children). */
export function stagesOfNodes(
  nodes: readonly { id: number; callFrame: Frame; children?: number[] }[], role: Role,
): Map<number, Stage> {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const out = new Map<number, Stage>();
  for (const n of nodes) {
    const name = n.callFrame.functionName;
    if (name === '(garbage collector)') { out.set(n.id, 'gc'); continue; }
    if (name === '(idle)') { out.set(n.id, 'idle'); continue; }
    if (name === '(program)' || name === '(root)') { out.set(n.id, 'program'); continue; }
    let strong: Stage | undefined;
    let weak: Stage | undefined;
    for (let id: number | undefined = n.id; id !== undefined && strong === undefined; id = parent.get(id)) {
      const f = byId.get(id)!.callFrame;
      strong = strongStage(f, role);
      const w = weakStage(f, role);
      if (w !== undefined && (weak === undefined || WEAK_RANK.indexOf(w) < WEAK_RANK.indexOf(weak))) weak = w;
    }
    out.set(n.id, strong ?? weak ?? 'other');
  }
  return out;
}

/**
 * producer or worker, by the code the profile ran (not merely loaded: a module's top level has no
 * function name, and the CLI loads both apps): front-end functions or scanner-client functions.
 */
export function roleOf(nodes: readonly { callFrame: Frame }[]): Role | null {
  let producer = false;
  let worker = false;
  for (const { callFrame: f } of nodes) {
    if (f.functionName === '') continue;
    if (/\/apps\/producer\/(?:dist|src)\/frontends\//.test(f.url)) producer = true;
    if (SCANNER_IO.test(f.url)) worker = true;
  }
  if (producer === worker) return null;
  return producer ? 'producer' : 'worker';
}
