import { spawn } from 'node:child_process';
import { childPids, ProcessMeter, type ProcessGroup } from './proc-stats';

/**
 * A child that burns `burnMs` of CPU time (its own, so a busy machine does not shorten it),
 * says so on stdout, sleeps `sleepMs` and exits; `burnt` resolves after the burn, `exited`
 * once it has ended and been reaped.
 */
function busyChild(burnMs: number, sleepMs: number): { burnt: Promise<void>; exited: Promise<void> } {
  const code = `for (let u = process.cpuUsage(); u.user + u.system < ${burnMs * 1000}; u = process.cpuUsage()); process.stdout.write('burnt'); setTimeout(() => {}, ${sleepMs});`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'ignore'] });
  return {
    burnt: new Promise((resolve) => child.stdout.once('data', () => resolve())),
    exited: new Promise((resolve) => child.once('exit', () => resolve())),
  };
}

describe('ProcessMeter with reaped children (the Postfix group of the mail-path phase)', () => {
  const self = (): number[] => [process.pid, ...childPids(process.pid)];

  it('counts the CPU of a child that started and ended during the phase only when reaped is set', async () => {
    const meter = new ProcessMeter([
      { name: 'reaped', pids: self, reaped: true },
      { name: 'plain', pids: self },
    ] satisfies ProcessGroup[]);
    meter.start();
    await busyChild(600, 0).exited;
    const usage = meter.stop();
    expect(usage.reaped!.cpuSec - usage.plain!.cpuSec).toBeGreaterThanOrEqual(0.4);
  });

  it("takes a child's CPU from before the start off again when it ends during the phase", async () => {
    const child = busyChild(600, 400);
    await child.burnt; // the child now sleeps
    const meter = new ProcessMeter([{ name: 'reaped', pids: self, reaped: true }]);
    meter.start();
    await child.exited;
    const usage = meter.stop();
    expect(usage.reaped!.cpuSec).toBeLessThan(0.3);
  });
});
