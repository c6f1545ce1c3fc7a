import { randomBytes } from "node:crypto";
import { chmod, mkdir, readFile, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** The file in DATA_DIR that keeps the dev admin token between runs. */
export const ADMIN_TOKEN_FILE = "admin-token";

/**
 * The dev admin token: made once and kept in `dataDir/admin-token` (mode 0600, re-tightened if loosened),
 * so a restart or a watch-mode reload keeps every open tab signed in.
 */
export async function devAdminToken(dataDir: string): Promise<string> {
  const file = join(dataDir, ADMIN_TOKEN_FILE);
  const existing = (await readFile(file, "utf8").catch(() => "")).trim();
  if (existing.length >= 16) {
    await chmod(file, 0o600);
    return existing;
  }
  await mkdir(dataDir, { recursive: true });
  const token = randomBytes(24).toString("base64url");
  await writeFile(file, `${token}\n`, { mode: 0o600 });
  await chmod(file, 0o600); // writeFile keeps the mode of a file that already existed
  return token;
}
