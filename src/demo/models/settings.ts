/**
 * Shared settings stored in the database, such as the CSRF signing secret.
 *
 * Owns the `settings` table's access. A value created here is created once
 * for every process sharing the database (INSERT ... ON CONFLICT DO NOTHING,
 * then read back), so a cluster or several machines agree on it. Must not
 * cache anything that could differ between instances.
 */
import { randomBytes } from 'node:crypto';
import type { Database } from '../../db/database.js';

/** Bytes of randomness in a generated secret (256 bits, the HMAC-SHA256 key size). */
export const SECRET_BYTES = 32;

/** Reads a setting, or undefined. */
export async function getSetting(db: Database, key: string): Promise<string | undefined> {
  const row = await db.get<{ value: string }>('SELECT value FROM settings WHERE key = ?', [key]);
  return row?.value;
}

/**
 * Returns the secret named `key`, creating a random one first if none exists.
 * Safe when several processes call it at once: the first insert wins and all
 * of them read the winner.
 */
export async function getOrCreateSecret(db: Database, key: string): Promise<string> {
  const candidate = randomBytes(SECRET_BYTES).toString('base64url');
  // ON CONFLICT DO NOTHING: SQLite >= 3.24 and PostgreSQL >= 9.5 share this syntax.
  await db.run('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO NOTHING', [key, candidate]);
  const value = await getSetting(db, key);
  if (value === undefined) throw new Error(`setting ${key} vanished`);
  return value;
}
