import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Adapter } from 'lowdb';
import { writeFileDurably } from '../../../shared/src/durable-file.js';

/**
 * A lowdb adapter that writes a JSON document durably: temp file, fsync, rename, fsync of the
 * directory. lowdb's own JSONFile renames without fsync, so a power cut could leave an empty file.
 */
export class DurableJsonFile<T> implements Adapter<T> {
  readonly tempPath: string;

  constructor(readonly path: string) {
    this.tempPath = join(dirname(path), `.${basename(path)}.tmp`);
  }

  /** null when the file does not exist; throws when it is unreadable or not JSON. */
  async read(): Promise<T | null> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
    return JSON.parse(text) as T;
  }

  async write(data: T): Promise<void> {
    await this.writeText(JSON.stringify(data));
  }

  writeText(text: string): Promise<void> {
    return writeFileDurably(this.path, text, this.tempPath);
  }
}
