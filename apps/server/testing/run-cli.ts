import { execFile } from "node:child_process";

export type CliOut = { stdout: string; stderr: string; exitCode: number };

/** The test process's environment without specsync's settings: each test names the ones it means. */
export const cliEnv = (): Record<string, string | undefined> =>
  Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !k.startsWith("SPECSYNC_") && !["DATABASE_URL", "INIT_CWD", "PORT", "WEB_PORT"].includes(k),
    ),
  );

/** `node <argv>` run from `cwd` with only the settings given; the exit code is part of the answer. */
export function runNode(
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
  timeout = 120_000,
): Promise<CliOut> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      argv,
      { cwd, env: { ...cliEnv(), ...env }, timeout, maxBuffer: 64 * 1024 * 1024 },
      (err, stdout, stderr) =>
        resolve({ stdout, stderr, exitCode: err ? ((err as { code?: number }).code ?? 1) : 0 }),
    );
  });
}
