import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Services } from "./services";
import {
  errorMessage,
  isDatabaseUnavailable,
  SpecsyncError,
  type SpecsyncErrorCode,
} from "./utils/errors";
import { memoSerialize } from "./utils/shared-results";

export type Context = {
  services: Services;
  /** Token the server requires, if any (SPECSYNC_TOKEN). */
  requiredToken: string | null;
  /** Bearer token the caller presented (Authorization header or SSE connection params). */
  presentedToken: string | null;
  /** Who is calling, for history and status changes (X-Specsync-Actor header). */
  actor: string | null;
};

const errorIds = new WeakMap<object, string>();

/**
 * A short id for an internal error: the answer carries it, the server log has the details under
 * it.
 */
export function errorIdOf(error: object): string {
  let id = errorIds.get(error);
  if (id) return id;
  id = randomBytes(6).toString("hex");
  errorIds.set(error, id);
  return id;
}

/**
 * Errors whose message was written for the caller; anything else (SQL, paths, stack) stays in
 * the log.
 */
function isCallerFacing(error: TRPCError): boolean {
  return error.code !== "INTERNAL_SERVER_ERROR" || error.cause instanceof SpecsyncError;
}

/** The output side of the transformer (also used by `fast-queries.ts`, which must answer alike). */
export const serializeOutput = memoSerialize((v) => superjson.serialize(v));

/** superjson, except that a shared (cached, frozen) answer is serialised once, not per call. */
const transformer = {
  serialize: serializeOutput,
  deserialize: (v: Parameters<typeof superjson.deserialize>[0]) => superjson.deserialize(v),
};

const t = initTRPC.context<Context>().create({
  transformer,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    const message = isCallerFacing(error)
      ? shape.message
      : `internal error (id ${errorIdOf(error)}); the server log has the details`;
    return {
      ...shape,
      message,
      data: {
        code: shape.data.code,
        httpStatus: shape.data.httpStatus,
        path: shape.data.path,
        // Never a stack trace; CONFLICT answers carry the current content, validation answers the
        // issues.
        details: cause instanceof SpecsyncError ? (cause.details ?? null) : null,
        issues:
          cause instanceof ZodError
            ? cause.issues.map((i) => ({ path: i.path.join("."), message: i.message }))
            : null,
      },
    };
  },
});

const TRPC_CODES: Record<SpecsyncErrorCode, TRPCError["code"]> = {
  BAD_REQUEST: "BAD_REQUEST",
  NOT_FOUND: "NOT_FOUND",
  CONFLICT: "CONFLICT",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  FORBIDDEN: "FORBIDDEN",
  IO_ERROR: "INTERNAL_SERVER_ERROR",
  PRECONDITION_FAILED: "PRECONDITION_FAILED",
  TIMEOUT: "TIMEOUT",
};

function tokenMatches(required: string, presented: string | null): boolean {
  if (!presented) return false;
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const a = createHash("sha256").update(required).digest();
  const b = createHash("sha256").update(presented).digest();
  return timingSafeEqual(a, b);
}

/**
 * Services throw SpecsyncError; the API answers with the matching tRPC error and a clear
 * message.
 */
const errorMapping = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof SpecsyncError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODES[cause.code], message: cause.message, cause });
  }
  if (!result.ok && isDatabaseUnavailable(result.error.cause)) {
    throw new TRPCError({
      code: "SERVICE_UNAVAILABLE",
      message: `the database is unreachable (${errorMessage(result.error.cause)}); try again when it is back — an edit is either fully saved or not at all`,
      cause: result.error.cause,
    });
  }
  return result;
});

const auth = t.middleware(({ ctx, next }) => {
  if (ctx.requiredToken && !tokenMatches(ctx.requiredToken, ctx.presentedToken)) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: "missing or wrong bearer token (Authorization: Bearer <SPECSYNC_TOKEN>)",
    });
  }
  return next();
});

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;
/** Every procedure: authenticated when a token is configured, errors mapped. */
export const procedure = t.procedure.use(auth).use(errorMapping);
