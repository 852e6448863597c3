import superjson from "superjson";
import { createCaller } from "./router";
import { type Context, serializeOutput } from "./trpc";
import { isShared } from "./utils/shared-results";

/** The queries answered here: the list views' hot read (the web changes page polls it). */
const FAST: Record<string, (caller: ReturnType<typeof createCaller>, input: unknown) => unknown> = {
  // The procedure validates the input (zod) exactly as through tRPC's handler.
  "specs.list": (caller, input) =>
    caller.specs.list(input as Parameters<typeof caller.specs.list>[0]),
};

/** Response bodies of shared (cached, frozen) answers: the same answer, the same bytes. */
const bodies = new WeakMap<object, Buffer>();

/** The body tRPC's handler sends for a batch of one successful call (`[{result:{data}}]`). */
function bodyOf(data: unknown): Buffer {
  const shared = isShared(data);
  if (shared) {
    const body = bodies.get(data);
    if (body) return body;
  }
  const body = Buffer.from(JSON.stringify([{ result: { data: serializeOutput(data) } }]));
  if (shared) bodies.set(data, body);
  return body;
}

/**
 * `GET /trpc/<path>?batch=1&input={"0":…}` of a hot query, answered without tRPC's fetch adapter
 * (a Request, a Response, AbortControllers and web streams per call were most of a cached list
 * call's cost) and, for a shared answer, with bytes made once per answer instead of a 43 KB
 * `JSON.stringify` per call. The call goes through the router's caller, so the auth and error
 * middlewares and the input validation run as they do through tRPC; the bytes are those tRPC's
 * handler sends (checked by `fast-queries.test.ts`).
 *
 * Null: not answered here (another path, a batch of several calls, a streaming `trpc-accept`, a
 * malformed input, an error) — hand the request to tRPC's handler, which answers it, errors
 * included. A failing call then runs twice; these are reads.
 */
export async function answerFastQuery(
  path: string,
  params: URLSearchParams,
  accept: string | undefined,
  ctx: Context,
): Promise<Buffer | null> {
  const call = FAST[path];
  const raw = params.get("input");
  if (!call || params.get("batch") !== "1" || raw === null || accept === "application/jsonl")
    return null;
  let input: unknown;
  try {
    const batch: unknown = JSON.parse(raw);
    if (batch === null || typeof batch !== "object" || Array.isArray(batch)) return null;
    const keys = Object.keys(batch);
    if (keys.length !== 1 || keys[0] !== "0") return null;
    const first = (batch as Record<string, unknown>)["0"];
    input =
      first === undefined
        ? undefined
        : superjson.deserialize(first as Parameters<typeof superjson.deserialize>[0]);
  } catch {
    return null;
  }
  try {
    return bodyOf(await call(createCaller(ctx), input));
  } catch {
    return null;
  }
}
