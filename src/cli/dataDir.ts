// DATA_DIR holds health data: the directory is the owner's only (0700) and so is every file in it (0600), whatever
// the umask the process was started with; files SQLite creates later (-wal, -shm) follow the umask set here.
import { chmodSync, mkdirSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";

/** Creates DATA_DIR (0700), narrows the process umask to 077, and narrows what an older version left wider. */
export function privateDataDir(dataDir: string): void {
  process.umask(0o077);
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  narrow(dataDir, 0o700);
}

function narrow(path: string, mode: number): void {
  const stat = statSync(path);
  if ((stat.mode & 0o777 & ~mode) !== 0) chmodSync(path, stat.mode & mode);
  if (!stat.isDirectory()) return;
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    if (entry.isSymbolicLink()) continue; // not ours to change
    narrow(join(path, entry.name), entry.isDirectory() ? 0o700 : 0o600);
  }
}
