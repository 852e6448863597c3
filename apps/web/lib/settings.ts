import "server-only";
import { z } from "zod";

/** The web app's settings, read at request time so one build serves any deployment (the only reader of process.env here). */
const settingsSchema = z.object({
  /** Where the API server listens; the browser and the server-side renderer both call it. */
  SPECSYNC_API_URL: z.url().default("http://127.0.0.1:3100"),
  /** The API's token, if it requires one: sent by server-side fetches only (never to the browser). */
  SPECSYNC_TOKEN: z.string().min(1).optional(),
});

export type WebSettings = { apiUrl: string; token: string | undefined };

export function webSettings(): WebSettings {
  const parsed = settingsSchema.safeParse(process.env);
  if (!parsed.success) throw new Error(`invalid web settings: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
  return { apiUrl: parsed.data.SPECSYNC_API_URL.replace(/\/$/, ""), token: parsed.data.SPECSYNC_TOKEN };
}
