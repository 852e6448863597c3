// The server's settings are the shared settings module's (packages/settings): one zod schema,
// read once per process and passed down. These names stay for the server's callers and tests.
export {
  loadSettings as loadEnv,
  type Settings as Env,
  settingsSchema as envSchema,
} from "@specsync/settings";
