import {
  getErrorShape,
  getHTTPStatusCode,
  getTRPCErrorFromUnknown,
  type TRPCError,
  transformTRPCResponse,
} from "@trpc/server/unstable-core-do-not-import";
import superjson from "superjson";
import { appRouter, createCaller } from "./router";
import type { Context } from "./trpc";

type Caller = ReturnType<typeof createCaller>;

/** The mutations answered here: the two whose latency issue #17 sets a target for. */
const FAST: Record<string, (caller: Caller, input: unknown) => Promise<unknown>> = {
  // The procedures validate the input (zod) exactly as through tRPC's handler.
  "specs.update": (caller, input) =>
    caller.specs.update(input as Parameters<Caller["specs"]["update"]>[0]),
  "agents.nextWork": (caller, input) =>
    caller.agents.nextWork(input as Parameters<Caller["agents"]["nextWork"]>[0]),
};

export type FastAnswer = { status: number; body: Buffer };

/**
 * `POST /trpc/<path>` of a hot mutation as the typed client sends it (unbatched, a JSON body),
 * answered without tRPC's fetch adapter (a Request, a Response, AbortControllers and web streams
 * per call). The call goes through the router's caller, so the auth and error middlewares and the
 * input validation run as they do through tRPC.
 *
 * Null — only before the procedure has run: not answered here (another path, a batch, a body
 * that is not JSON or not superjson); tRPC's handler answers it, errors included. Once the
 * procedure has run, its error is answered here, in the bytes and status tRPC's handler sends for
 * it (the same functions make them; `onError` is told, as tRPC tells it): a mutation must not run
 * twice.
 */
export async function answerFastMutation(
  path: string,
  body: string,
  ctx: Context,
  onError: (opts: { error: TRPCError; path: string }) => void,
): Promise<FastAnswer | null> {
  const call = FAST[path];
  if (!call) return null;
  let input: unknown;
  try {
    // An empty body is tRPC's "no input" only through its own parser: left to it.
    const raw: unknown = JSON.parse(body);
    input = superjson.deserialize(raw as Parameters<typeof superjson.deserialize>[0]);
  } catch {
    return null;
  }
  const config = appRouter._def._config;
  let res: Parameters<typeof transformTRPCResponse>[1];
  try {
    res = { result: { data: await call(createCaller(ctx), input) } };
  } catch (cause) {
    const error = getTRPCErrorFromUnknown(cause);
    onError({ error, path });
    res = { error: getErrorShape({ config, ctx, error, input, path, type: "mutation" }) };
  }
  const status = getHTTPStatusCode(res);
  return { status, body: Buffer.from(JSON.stringify(transformTRPCResponse(config, res))) };
}
