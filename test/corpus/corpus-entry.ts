/** One line of a corpus manifest (the generated one, test/corpus/README.md, or a shared one's manifest.jsonl). */
export interface CorpusEntry {
  readonly file: string;
  readonly source?: string;
  readonly notes?: string;
  readonly parts: number;
  readonly attachment_names: (string | null)[];
  readonly archive_members: Record<string, string[]> | null;
  readonly eicar: boolean;
  readonly eicar_variant: string | null;
  readonly eicar_fake: boolean;
  readonly encrypted: boolean;
  readonly macro: boolean;
  readonly malformed: boolean;
  readonly categories: readonly string[];
  readonly size: number;
  readonly rspamd_av: Record<string, string[]>;
  readonly rspamd_action: string;
}
