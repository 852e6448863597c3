/** Error codes the services raise; routers map them to tRPC codes, the CLI prints the message. */
export type SpecsyncErrorCode = "BAD_REQUEST" | "NOT_FOUND" | "CONFLICT" | "PAYLOAD_TOO_LARGE" | "FORBIDDEN" | "IO_ERROR";

export class SpecsyncError extends Error {
  constructor(
    readonly code: SpecsyncErrorCode,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = "SpecsyncError";
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}
