import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

// A full garbage collection on demand, without starting Node with --expose-gc: the flag set at run
// time exposes `gc` to contexts created afterwards (a new vm context here).
setFlagsFromString('--expose_gc');
const collect = runInNewContext('gc') as () => void;

/**
 * Bytes of the heap still reachable: heapUsed right after a full collection. Comparing two of
 * these measures what a piece of code kept, not the garbage it left for a collection that has not
 * run yet (which depends on the machine's load and on the other tests of the worker).
 */
export function liveHeapBytes(): number {
  collect();
  return process.memoryUsage().heapUsed;
}
