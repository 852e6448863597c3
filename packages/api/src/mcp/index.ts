export { resourceUri } from "./resources";
export { createMcpServer, type McpServerOptions } from "./server";
export { defineTool, type ToolContext, type ToolDefinition } from "./tool";
export { TOOLS } from "./tools";
