/**
 * clamd-style single-line replies (`<what>: OK`, `<what>: <name> FOUND`), shared
 * by the clients that speak a clamd-compatible protocol (kaspersky).
 */
export type ClamdStyleReply =
  | { readonly kind: 'ok' }
  | { readonly kind: 'found'; readonly name: string }
  | { readonly kind: 'other' };

/** `/: (.+) FOUND/`, greedy (runs to the last ` FOUND`), `.` crossing newlines as in Lua. */
const FOUND = /: ([\s\S]+) FOUND/;

/**
 * Classifies one reply. `okSubjects` are the exact `<subject>` values for which
 * `<subject>: OK` means clean (e.g. `stream` and the scanned path).
 */
export function parseClamdStyleReply(reply: string, okSubjects: readonly string[]): ClamdStyleReply {
  if (okSubjects.some((s) => reply === `${s}: OK`)) return { kind: 'ok' };
  const name = FOUND.exec(reply)?.[1];
  return name === undefined ? { kind: 'other' } : { kind: 'found', name };
}
