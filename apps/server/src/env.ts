import path from "node:path";
import { z } from "zod";

const list = (sep: string) =>
  z
    .string()
    .optional()
    .transform((v) => (v ? v.split(sep).map((s) => s.trim()).filter(Boolean) : []));

/** Every setting specsync reads from the environment (documented in the README). */
export const envSchema = z.object({
  DATABASE_URL: z
    .string()
    .optional()
    .refine((v) => !v || /^postgres(ql)?:\/\//.test(v), "DATABASE_URL must be a postgres:// URL (unset it to use the embedded PGlite)"),
  /** Unset: `<first project>/.specsync/pglite`. */
  SPECSYNC_DATA_DIR: z.string().optional(),
  SPECSYNC_PROJECTS: list(path.delimiter),
  SPECSYNC_ALLOWED_ROOTS: list(path.delimiter),
  PORT: z.coerce.number().int().min(0).max(65535).default(3100),
  HOST: z.string().default("127.0.0.1"),
  SPECSYNC_TOKEN: z.string().min(16, "SPECSYNC_TOKEN must be at least 16 characters").optional(),
  SPECSYNC_WEB_ORIGIN: z.string().default("http://localhost:3000,http://127.0.0.1:3000"),
  SPECSYNC_CRON: z.string().default("*/30 * * * * *"),
  SPECSYNC_STALE_SECONDS: z.coerce.number().int().min(1).default(30),
  SPECSYNC_BATCH_SIZE: z.coerce.number().int().min(1).max(10000).default(50),
  SPECSYNC_CONCURRENCY: z.coerce.number().int().min(1).max(100).default(10),
  SPECSYNC_DEBOUNCE_MS: z.coerce.number().int().min(0).max(100).default(5),
  /** Longest an OpenSpec CLI run (new, validate, archive) may take before it is stopped. */
  SPECSYNC_OPENSPEC_TIMEOUT_MS: z.coerce.number().int().min(1000).max(600_000).default(60_000),
  SPECSYNC_LOG: z.enum(["silent", "info", "debug"]).default("info"),
});

export type Env = z.infer<typeof envSchema>;

export function loadEnv(source: NodeJS.ProcessEnv = process.env): Env {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join(".")}: ${i.message}`).join("\n");
    throw new Error(`invalid settings:\n${lines}`);
  }
  return parsed.data;
}
