import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createDb, type Database } from "../src";

/** Text with 1-, 2-, 3- and 4-byte UTF-8 characters. */
const text = 'a "quoted" é ✓ 𝄞 line\nend';

describe("PGlite text parameters given as UTF-8 bytes (the bulk import's JSON batch)", () => {
  let database: Database;
  beforeAll(async () => {
    database = await createDb({ dataDir: "memory://" });
  });
  afterAll(() => database.close());

  it("arrive as the text they encode, as a string parameter would", async () => {
    const bytes = new TextEncoder().encode(text);
    const [row] = await database.query<{ t: string; j: unknown }>(
      "select $1::text as t, $2::text::jsonb as j",
      [bytes, new TextEncoder().encode(JSON.stringify([{ text }]))],
    );
    expect(row?.t).toBe(text);
    expect(row?.j).toEqual([{ text }]);
  });

  it("leave strings, dates and numbers as before", async () => {
    const date = new Date("2026-01-02T03:04:05.000Z");
    const [row] = await database.query<{ s: string; d: string; n: string }>(
      "select $1::text as s, $2::text as d, $3::text as n",
      [text, date, 42],
    );
    expect(row).toEqual({ s: text, d: date.toISOString(), n: "42" });
  });
});
