// Entry of a parse-pool worker thread: runs the pure parse jobs off the server's event loop.
import { parentPort } from "node:worker_threads";
import { errorMessage } from "../utils/errors";
import { type ParseJob, runParseJob } from "../utils/openspec/parse-jobs";

const port = parentPort;
if (!port) throw new Error("parse-worker.ts runs as a worker thread (parse-pool.ts starts it)");
port.on("message", (job: ParseJob) => {
  try {
    port.postMessage({ ok: true, value: runParseJob(job) });
  } catch (err) {
    port.postMessage({ ok: false, error: errorMessage(err) });
  }
});
port.postMessage("ready");
