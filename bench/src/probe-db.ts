import postgres from "postgres";

/** The local PostgreSQL the probes use (trust auth, as on the bench machine). */
const SERVER = "postgres://postgres@127.0.0.1:5432";

/**
 * A probe's PostgreSQL database by name: kept between runs (so interleaved runs of two builds
 * share one imported workspace), created when missing — or, with `fresh`, dropped and created
 * again. Returns its URL and whether it is new.
 */
export async function probeDatabase(
  name: string,
  opts: { fresh?: boolean } = {},
): Promise<{ url: string; created: boolean }> {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not a plain database name: ${name}`);
  const admin = postgres(`${SERVER}/postgres`, { max: 1, onnotice: () => {} });
  try {
    if (opts.fresh) await admin.unsafe(`drop database if exists ${name} with (force)`);
    const [exists] = await admin`select 1 from pg_database where datname = ${name}`;
    if (!exists) await admin.unsafe(`create database ${name}`);
    return { url: `${SERVER}/${name}`, created: !exists };
  } finally {
    await admin.end();
  }
}
