import type { StoreMode } from '@avfleet/config';

/**
 * Who may read a folder store (AVFLEET_STORE_MODE). Every avfleet process that
 * uses the folder runs as the folder's owner; `group` lets other members of
 * the folder's group (a backup or audit account) read what avfleet wrote.
 * Nobody else ever can: no mode gives "other" any bit. The modes are
 * @avfleet/config's STORE_MODES.
 */
export type { StoreMode };

/** Permission bits of what a folder store creates, set exactly (whatever the process umask). */
export interface StorePermissions {
  /** Messages, parts and temp files. */
  readonly file: number;
  /** Folders (the store's own folder when avfleet creates it, day folders, part fan-outs). */
  readonly dir: number;
}

export const STORE_PERMISSIONS: Readonly<Record<StoreMode, StorePermissions>> = Object.freeze({
  private: Object.freeze({ file: 0o600, dir: 0o700 }),
  group: Object.freeze({ file: 0o640, dir: 0o750 }),
});

export const DEFAULT_STORE_MODE: StoreMode = 'private';

/** `0o644` → `'0644'`. */
export function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
}
