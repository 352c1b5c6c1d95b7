/** One pino line, as far as the tests read it. */
export interface LogLine {
  readonly level?: number;
  readonly msg?: string;
  readonly lostMs?: number;
}

/** Every non-empty line of a process's output as JSON; a line that is not JSON throws with the line itself. */
export function jsonLogLines(text: string): LogLine[] {
  return text.split('\n').filter((l) => l.trim() !== '').map((line) => {
    try {
      return JSON.parse(line) as LogLine;
    } catch {
      throw new Error(`a log line is not pino JSON: ${line.slice(0, 300)}`);
    }
  });
}
