import { pgliteTemplate } from "./pglite-template";

/**
 * Vitest global setup of every project: the PGlite template is made (or found current) once,
 * before any test file, so that the servers and CLI children the tests start from the sources
 * find it as the packaged bin finds its own (packages/api/testing/pglite-template.ts).
 */
export default async function setup(): Promise<void> {
  const t = Date.now();
  await pgliteTemplate();
  if (Date.now() - t > 2000)
    console.log(`[pglite] template for the tests: ${((Date.now() - t) / 1000).toFixed(1)} s`);
}
