import type { Database } from "@specsync/db";
import type { AtomicWriteHooks } from "../utils/fs/atomic-write";
import { HistoryService } from "./history-service";
import { OpenSpecSyncService } from "./openspec-sync-service";
import { ProjectsService } from "./projects-service";
import { SpecsService } from "./specs-service";
import { SyncEventBus } from "./sync-events";

export type ServicesOptions = {
  allowedRoots?: readonly string[];
  writeHooks?: AtomicWriteHooks;
  log?: (msg: string) => void;
};

/** Every service, wired to one database. Routers, the server and the CLI all start here. */
export function createServices(database: Database, options: ServicesOptions = {}) {
  const history = new HistoryService(database);
  const events = new SyncEventBus(database);
  const sync = new OpenSpecSyncService({ database, history, events, writeHooks: options.writeHooks, log: options.log });
  const specs = new SpecsService(database, sync, events);
  const projects = new ProjectsService(database, sync, options.allowedRoots ?? [process.cwd()]);
  return { database, history, events, sync, specs, projects };
}

export type Services = ReturnType<typeof createServices>;

export { HistoryService, OpenSpecSyncService, ProjectsService, SpecsService, SyncEventBus };
export type { SyncOutcome, SyncSummary, FileStatus, FileState } from "./openspec-sync-service";
export type { SpecListItem } from "./specs-service";
export type { PublishedEvent } from "./sync-events";
