// Entry of a parse-pool worker thread: runs the pure parse jobs off the server's event loop,
// a bulk import's reading of new folders (sync/import-read.ts) and the CLI's validator
// and its archive preview (validate-job.ts).
import { parentPort } from "node:worker_threads";
import { errorMessage } from "../utils/errors";
import { runParseJob } from "../utils/openspec/parse-jobs";
import { type ReplySlice, sliceDeriveReply } from "./derive-reply";
import type { PoolJob } from "./parse-pool";
import { readNewFolders } from "./sync/import-read";
import { capReport, runPreviewJob, runValidateJob } from "./validate-job";

const port = parentPort;
if (!port) throw new Error("parse-worker.ts runs as a worker thread (parse-pool.ts starts it)");

/** One job; a derive's reply may leave big sections for the event loop to slice. */
async function run(job: PoolJob): Promise<{ value: unknown; slices?: ReplySlice[] }> {
  if (job.op === "readNew") return { value: readNewFolders(job.dir, job.refs, job.row) };
  if (job.op === "validate") return { value: capReport(await runValidateJob(job)) };
  if (job.op === "preview") return { value: await runPreviewJob(job) };
  // The proposal's big sections go back as places in it, not as text (derive-reply.ts).
  if (job.op === "derive") return sliceDeriveReply(job.files, runParseJob(job));
  return { value: runParseJob(job) };
}

port.on("message", async (job: PoolJob) => {
  try {
    port.postMessage({ ok: true, ...(await run(job)) });
  } catch (err) {
    port.postMessage({ ok: false, error: errorMessage(err) });
  }
});
port.postMessage("ready");
