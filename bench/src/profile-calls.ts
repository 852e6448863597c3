import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

/**
 * A CPU profile of the timed calls only (`--cpu-prof` would also take in the probe's startup and
 * its workspace sync, which dwarf them): started before the loop, written to `file` after it. Open
 * the `.cpuprofile` in Chrome's DevTools or sum it by package.
 */
export async function profileCalls(file: string | undefined) {
  if (!file) return async () => {};
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: 250 });
  await session.post("Profiler.start");
  return async () => {
    const { profile } = await session.post("Profiler.stop");
    writeFileSync(file, JSON.stringify(profile));
    session.disconnect();
  };
}
