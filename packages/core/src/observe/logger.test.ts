import { Writable } from 'node:stream';
import { createLogger } from './logger';

function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  return { stream, text: () => chunks.join('') };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, time, name and message', () => {
    const out = capture();
    createLogger({ level: 'info', name: 'avfleet-test', destination: out.stream }).info({ scanId: 's1' }, 'message scanned');
    const line = JSON.parse(out.text().trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ level: 30, name: 'avfleet-test', msg: 'message scanned', scanId: 's1' });
    expect(typeof line.time).toBe('number');
  });

  it('redacts API keys, tokens, S3 credentials and auth headers, at the top level and one level down', () => {
    const out = capture();
    const log = createLogger({ level: 'info', name: 't', destination: out.stream });
    log.info({
      apiToken: 'SECRET-1', apikey: 'SECRET-2', apiKey: 'SECRET-3', secretKey: 'SECRET-4', accessKey: 'SECRET-5', password: 'SECRET-6',
      rule: { apikey: 'SECRET-7', name: 'virustotal' },
      settings: { apiToken: 'SECRET-8', store: { kind: 's3' } },
      req: { headers: { authorization: 'Bearer SECRET-9', password: 'SECRET-10', host: 'x' } },
      headers: { authorization: 'Bearer SECRET-11' },
    }, 'startup');
    const text = out.text();
    expect(text).not.toMatch(/SECRET-/);
    const line = JSON.parse(text.trim()) as { rule: { name: string; apikey: string }; req: { headers: { host: string } } };
    expect(line.rule).toEqual({ apikey: '[redacted]', name: 'virustotal' });
    expect(line.req.headers.host).toBe('x');
  });

  it('honours the level', () => {
    const out = capture();
    const log = createLogger({ level: 'warn', name: 't', destination: out.stream });
    log.info('hidden');
    log.warn('shown');
    expect(out.text()).not.toContain('hidden');
    expect(out.text()).toContain('shown');
  });
});
