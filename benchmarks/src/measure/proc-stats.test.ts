import { spawn } from 'node:child_process';
import { childPids, ProcessMeter, type ProcessGroup } from './proc-stats';

/** A child that burns `burnMs` of CPU, then sleeps `sleepMs`, then exits; resolves when it is started and when it has exited (and was reaped). */
function busyChild(burnMs: number, sleepMs: number): { exited: Promise<void> } {
  const child = spawn(process.execPath, ['-e', `const end = Date.now() + ${burnMs}; while (Date.now() < end); setTimeout(() => {}, ${sleepMs});`], { stdio: 'ignore' });
  return { exited: new Promise((resolve) => child.once('exit', () => resolve())) };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

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
    await sleep(700); // the burn is over; the child sleeps
    const meter = new ProcessMeter([{ name: 'reaped', pids: self, reaped: true }]);
    meter.start();
    await child.exited;
    const usage = meter.stop();
    expect(usage.reaped!.cpuSec).toBeLessThan(0.3);
  });
});
