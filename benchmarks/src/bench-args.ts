/** The phases `npm run bench` can run, in the order it runs them. */
export const ALL_PHASES = ['limit', 'fleet-folder', 'fleet-s3', 'rspamd', 'mail-path', 'scale-out', 'memory', 'retroscan', 'soak'] as const;
export type Phase = (typeof ALL_PHASES)[number];
/** What runs without `--phases`: everything but the hour-long soak and the retro-scan phase (which only run when named). */
export const DEFAULT_PHASES: readonly Phase[] = ['limit', 'fleet-folder', 'fleet-s3', 'rspamd', 'mail-path', 'scale-out', 'memory'];

export interface BenchArgs {
  messages: number;
  seed: string;
  phases: Phase[];
  /** Messages in flight from the client (fleet and rspamc alike). */
  concurrency: number;
  /** AVFLEET_CONCURRENCY of the fleet's worker process in the fleet phases. */
  workerConcurrency: number;
  /** AVFLEET_PRODUCER_PROCESSES of the fleet-folder and fleet-s3 passes. */
  producerProcesses: number;
  limitConnections: number[];
  scaleWorkers: number[];
  /** Messages of the mail-path phase (default 150: the corpus's first 150). */
  mailMessages: number;
  /** Messages per scale-out point (default 150; null: the whole corpus). */
  scaleMessages: number | null;
  /** Warm-up messages per worker process before each scale-out point's measured pass (default 16; 0: none). */
  scaleWarmUp: number;
  simLatencyMs: number;
  /** Attachment size of the memory phase, in MB (10^6 bytes). */
  memoryMb: number;
  /** Rounds of the soak (null: as many as one hour of traffic at the rate of the first round). */
  soakRounds: number | null;
  redisUrl: string;
  /** Seed nodes of a Redis Cluster (`--redis-cluster`): the fleet phases run on it (AVFLEET_REDIS_CLUSTER_NODES). */
  redisCluster: string | null;
  out: string | null;
  keep: boolean;
  help: boolean;
}

export const HELP = `npm run bench -- [flags]

Generates a seeded corpus in a temporary folder, then measures (one table + JSON):
  limit         raw clamd INSTREAM over the corpus's attachment bytes (1, 2, 4 connections)
  fleet-folder  producer + worker processes, folder store: cold, then warm
  fleet-s3      the same with the S3 store (s3rver)
  rspamd        Rspamd's antivirus module against the same clamd (rspamc): cold, warm
  mail-path     SMTP (nodemailer, --concurrency sessions) into a private Postfix whose milter is
                avfleet's (producer --milter-listen + worker), then Debian's clamav-milter, same clamd:
                cold, warm each; needs root, postfix and clamav-milter
  scale-out     1, 2, 4, 8 worker processes against a 50 ms clamd simulator
  memory        one message with a 50 MB attachment through producer + worker: peak RSS growth
Only when named in --phases:
  retroscan     AVFLEET_RETROSCAN=on, folder store: the corpus fills the retro-scan's window, then live traffic
                (half as many other messages, cold) before and during a retro-scan of the whole window: live p95 of each
  soak          the corpus looped --soak-rounds times through one fleet: RSS and Redis memory per round

  --messages N              corpus size (default 300)
  --seed TEXT               corpus seed (default avfleet-bench-1)
  --phases LIST             comma-separated subset of: ${ALL_PHASES.join(',')}
                            (default ${DEFAULT_PHASES.join(',')})
  --concurrency N           messages in flight from the client, SMTP sessions in mail-path (default 4)
  --worker-concurrency N    AVFLEET_CONCURRENCY of the fleet phases' worker (default 4)
  --producer-processes N    AVFLEET_PRODUCER_PROCESSES of the fleet-folder/fleet-s3 producer (default 1)
  --limit-connections LIST  default 1,2,4
  --scale-workers LIST      default 1,2,4,8
  --mail-messages N         messages of the mail-path phase (default 150: the corpus's first 150)
  --scale-messages N        messages per scale-out point (default 150: the corpus's first 150)
  --scale-warm-up N         warm-up messages per worker process before each scale-out point, not measured (default 16; 0: none)
  --sim-latency-ms N        simulated scan time (default 50)
  --memory-mb N             attachment size of the memory phase in MB (default 50)
  --soak-rounds N           soak rounds (default: one hour of traffic at the first round's rate)
  --redis URL               default redis://127.0.0.1:6379/0 (keys under avfb-*, removed afterwards)
  --redis-cluster H:P,…     run fleet-folder, fleet-s3 and scale-out on this Redis Cluster (AVFLEET_REDIS_CLUSTER_NODES,
                            one queue lane per master); Redis commands counted on every master, per master too
  --out FILE                JSON results (default bench-results/bench-<time>.json)
  --keep                    keep the temporary folder (corpus, logs)
`;

function list(v: string, name: string): number[] {
  const out = v.split(',').map((x) => Number(x.trim()));
  if (out.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`AVF_ERR_BENCH_ARGS: ${name} takes positive integers separated by commas, got '${v}'`);
  return out;
}

function int(v: string | undefined, name: string, min = 1): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`AVF_ERR_BENCH_ARGS: ${name} takes ${min === 1 ? 'a positive' : `an`} integer${min === 1 ? '' : ` of at least ${min}`}, got '${v}'`);
  return n;
}

export function parseBenchArgs(argv: readonly string[]): BenchArgs {
  const a: BenchArgs = {
    messages: 300,
    seed: 'avfleet-bench-1',
    phases: [...DEFAULT_PHASES],
    concurrency: 4,
    workerConcurrency: 4,
    producerProcesses: 1,
    limitConnections: [1, 2, 4],
    scaleWorkers: [1, 2, 4, 8],
    mailMessages: 150,
    scaleMessages: 150,
    scaleWarmUp: 16,
    simLatencyMs: 50,
    memoryMb: 50,
    soakRounds: null,
    redisUrl: 'redis://127.0.0.1:6379/0',
    redisCluster: null,
    out: null,
    keep: false,
    help: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`AVF_ERR_BENCH_ARGS: ${flag} needs a value; see --help`);
      return v;
    };
    switch (flag) {
      case '--messages': a.messages = int(value(), flag); break;
      case '--seed': a.seed = value(); break;
      case '--phases': {
        const v = value();
        const phases = v.split(',').map((p) => p.trim());
        const bad = phases.filter((p) => !(ALL_PHASES as readonly string[]).includes(p));
        if (bad.length > 0) throw new Error(`AVF_ERR_BENCH_ARGS: unknown phase '${bad.join(',')}'; choose from ${ALL_PHASES.join(',')}`);
        a.phases = ALL_PHASES.filter((p) => phases.includes(p));
        break;
      }
      case '--concurrency': a.concurrency = int(value(), flag); break;
      case '--worker-concurrency': a.workerConcurrency = int(value(), flag); break;
      case '--producer-processes': a.producerProcesses = int(value(), flag); break;
      case '--limit-connections': a.limitConnections = list(value(), flag); break;
      case '--scale-workers': a.scaleWorkers = list(value(), flag); break;
      case '--mail-messages': a.mailMessages = int(value(), flag); break;
      case '--scale-messages': a.scaleMessages = int(value(), flag); break;
      case '--scale-warm-up': a.scaleWarmUp = int(value(), flag, 0); break;
      case '--sim-latency-ms': a.simLatencyMs = int(value(), flag); break;
      case '--memory-mb': a.memoryMb = int(value(), flag); break;
      case '--soak-rounds': a.soakRounds = int(value(), flag); break;
      case '--redis': a.redisUrl = value(); break;
      case '--redis-cluster': a.redisCluster = value(); break;
      case '--out': a.out = value(); break;
      case '--keep': a.keep = true; break;
      case '--help': case '-h': a.help = true; break;
      default: throw new Error(`AVF_ERR_BENCH_ARGS: unknown flag '${flag}'; see npm run bench -- --help`);
    }
  }
  return a;
}
