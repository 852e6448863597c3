// Entry of a parse-pool worker thread: runs the pure parse jobs off the server's event loop.
import { parentPort } from "node:worker_threads";
import { errorMessage } from "../utils/errors";
import { runParseJob, type ParseJob } from "../utils/openspec/parse-jobs";

parentPort!.on("message", (job: ParseJob) => {
  try {
    parentPort!.postMessage({ ok: true, value: runParseJob(job) });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: errorMessage(err) });
  }
});
parentPort!.postMessage("ready");
