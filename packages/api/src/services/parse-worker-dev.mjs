// Running from TypeScript sources (tests, `pnpm dev`, benches): load the worker through tsx.
// The packaged server never uses this file: its bundle has a plain parse-worker.js
// (apps/server/scripts/build.mjs).
import { workerData } from "node:worker_threads";
import { register } from "tsx/esm/api";

register();
await import(workerData.entry);
