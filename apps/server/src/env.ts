// The server's settings are the shared settings module's (packages/settings): one zod schema,
// read once per process and passed down. These names stay for the server's callers and tests.
export { loadSettings as loadEnv, settingsSchema as envSchema, type Settings as Env } from "@specsync/settings";
