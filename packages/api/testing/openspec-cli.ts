import { execFile } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
// The CLI is a runtime dependency of @specsync/api (its bin is linked there).
const BIN = path.resolve(fileURLToPath(import.meta.url), "../../node_modules/.bin/openspec");

/** Run the real OpenSpec CLI in a repository root and parse its JSON (the oracle). */
// biome-ignore lint/suspicious/noExplicitAny: the oracle's JSON, compared as the CLI prints it
export async function openspecJson<T = any>(root: string, args: string[]): Promise<T> {
  const { stdout } = await run(BIN, [...args, "--json"], {
    cwd: root,
    env: { ...process.env, OPENSPEC_TELEMETRY: "0", NO_COLOR: "1", CI: "1" },
    maxBuffer: 64 * 1024 * 1024,
  }).catch((err) => {
    if (err.stdout) return { stdout: err.stdout as string };
    throw err;
  });
  const parsed = JSON.parse(stdout);
  delete parsed.root;
  return parsed;
}

export async function openspecRaw(
  root: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(BIN, args, {
      cwd: root,
      env: { ...process.env, OPENSPEC_TELEMETRY: "0", NO_COLOR: "1", CI: "1" },
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}
