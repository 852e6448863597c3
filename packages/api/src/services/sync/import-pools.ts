/**
 * The parse workers of a large import. The shared pool has one worker on two cores (the other
 * core is the event loop's and the database's), and a PostgreSQL import is bounded by it: the
 * event loop and the PostgreSQL backends leave most of the other core idle meanwhile (measured:
 * docs/performance.md, "Cold import on PostgreSQL, session 18"). So such an import gets a second
 * worker of its own, closed when the import ends; each batch's read goes to the pool with fewer
 * jobs running. Not on PGlite: there the event loop runs the database too and is the bound.
 */
import { availableParallelism } from "node:os";
import { setFlagsFromString } from "node:v8";
import { ParsePool, type PoolJob } from "../parse-pool";

/**
 * The long-running server runs under --optimize-for-size, which keeps each thread's old generation
 * limit close to its live size: the import's workers run many more full collections (a 10,000-
 * change import: 160 against 98; a thread building up live data: 14 against 2), and that GC is
 * a quarter of the import's Node CPU. The flag is process-wide and V8 reads it as it goes, so it
 * is lifted while a large PostgreSQL import runs and put back when the last one ends (measured:
 * −25 % Node CPU, peak RSS +70–100 MB during the import; docs/performance.md, session 27). Not
 * on PGlite, whose server RSS is bounded; left alone if the process was not started with the flag
 * on its command line.
 */
const sizeFlag = "--optimize-for-size";
let liftedFor = 0;
function liftSizeFlag(): () => void {
  if (!process.execArgv.includes(sizeFlag)) return () => {};
  if (liftedFor++ === 0) setFlagsFromString("--no-optimize-for-size");
  let done = false;
  return () => {
    if (done) return;
    done = true;
    if (--liftedFor === 0) setFlagsFromString(sizeFlag);
  };
}

/** Runs the import's read jobs on the least busy of its pools (the `run` of a ParsePool). */
export type ImportRunner = Pick<ParsePool, "run">;

export function importPools(
  shared: ParsePool,
  second: boolean,
): { runner: ImportRunner; lanes: number; close: () => Promise<void> } {
  if (!second || availableParallelism() < 2) {
    return { runner: shared, lanes: 1, close: async () => {} };
  }
  // A larger young generation than the shared worker's: a batch's garbage (files, parsed
  // documents, row JSON) dies young in fewer scavenges (one profile: the workers' GC 2.5 → 1.6 s
  // in a 1,000-change import, both at 48 MB); the memory goes with the worker when the import ends.
  // Under --optimize-for-size the new space stays at 1 MB whatever the limit (docs/performance.md,
  // session 22); the lift above changes that for the import's duration too.
  const restore = liftSizeFlag();
  const own = new ParsePool({ size: 1, youngMb: 48 });
  const pools: [ParsePool, number][] = [
    [shared, 0],
    [own, 0],
  ];
  const run = async (job: PoolJob) => {
    const entry = pools.reduce((a, b) => (b[1] < a[1] ? b : a));
    entry[1]++;
    try {
      return await entry[0].run(job as never);
    } finally {
      entry[1]--;
    }
  };
  const close = () => own.close().finally(restore);
  return { runner: { run } as ImportRunner, lanes: 2, close };
}
