import type { ToolDefinition } from "../tool";
import {
  getChange,
  getSpec,
  listChanges,
  overlaps,
  setStatus,
  toggleTask,
  updateFile,
} from "./changes";
import { claimChange, nextWork, releaseChange } from "./claims";
import { addDependency, removeDependency } from "./dependencies";
import { archiveChange, newChange, previewArchive, validateChange } from "./lifecycle";

/**
 * Every MCP tool specsync serves. Adding one: define it with defineTool (input schema from
 * @specsync/validators, a thin call into a service) in a file of this folder, and list it here.
 */
export const TOOLS: readonly ToolDefinition[] = [
  listChanges,
  getChange,
  getSpec,
  nextWork,
  claimChange,
  releaseChange,
  toggleTask,
  updateFile,
  setStatus,
  addDependency,
  removeDependency,
  overlaps,
  newChange,
  validateChange,
  previewArchive,
  archiveChange,
];
