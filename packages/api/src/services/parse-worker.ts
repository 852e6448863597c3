// Entry of a parse-pool worker thread: runs the pure parse jobs off the server's event loop,
// a bulk import's reading of new folders (sync/import-read.ts) and the CLI's validator
// and its archive preview (validate-job.ts).
import { parentPort } from "node:worker_threads";
import { errorMessage } from "../utils/errors";
import { runParseJob } from "../utils/openspec/parse-jobs";
import type { PoolJob } from "./parse-pool";
import { readNewFolders } from "./sync/import-read";
import { capReport, runPreviewJob, runValidateJob } from "./validate-job";

const port = parentPort;
if (!port) throw new Error("parse-worker.ts runs as a worker thread (parse-pool.ts starts it)");
port.on("message", async (job: PoolJob) => {
  try {
    const value =
      job.op === "readNew"
        ? readNewFolders(job.dir, job.refs, job.row)
        : job.op === "validate"
          ? capReport(await runValidateJob(job))
          : job.op === "preview"
            ? await runPreviewJob(job)
            : runParseJob(job);
    port.postMessage({ ok: true, value });
  } catch (err) {
    port.postMessage({ ok: false, error: errorMessage(err) });
  }
});
port.postMessage("ready");
