import { once } from "node:events";
import { createServer } from "node:net";

/**
 * Fail early and clearly when a port is taken (instead of after the startup sync, or worse,
 * talking to a stranger).
 */
export async function assertPortFree(host: string, port: number, how: string): Promise<void> {
  if (port === 0) return;
  const probe = createServer();
  probe.listen(port, host);
  try {
    await Promise.race([
      once(probe, "listening"),
      once(probe, "error").then(([err]) => Promise.reject(err)),
    ]);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === "EADDRINUSE"
        ? `port ${port} on ${host} is in use; ${how}`
        : `cannot listen on ${host}:${port}: ${(err as Error).message}`,
    );
  } finally {
    probe.close();
  }
  await once(probe, "close").catch(() => {});
}
