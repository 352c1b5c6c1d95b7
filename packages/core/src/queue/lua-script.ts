import { createHash } from 'node:crypto';

/** The two commands a script runs with (ioredis' Redis satisfies it). */
export interface ScriptRedis {
  evalsha(sha: string, numKeys: number, ...args: string[]): Promise<unknown>;
  eval(script: string, numKeys: number, ...args: string[]): Promise<unknown>;
}

/**
 * A Lua script run by its SHA-1 (EVALSHA: the script's text is not sent each time), and
 * once by its text when Redis does not know it yet (NOSCRIPT: a restarted Redis, a fresh one).
 */
export class LuaScript {
  private readonly sha: string;

  constructor(
    private readonly source: string,
    private readonly numKeys: number,
  ) {
    this.sha = createHash('sha1').update(source).digest('hex');
  }

  async run(redis: ScriptRedis, ...keysThenArgs: string[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, this.numKeys, ...keysThenArgs);
    } catch (err) {
      if (!(err instanceof Error) || !err.message.startsWith('NOSCRIPT')) throw err;
      return redis.eval(this.source, this.numKeys, ...keysThenArgs);
    }
  }
}
