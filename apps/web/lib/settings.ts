import "server-only";
import { readWebSettings, type WebSettings } from "@specsync/settings";

export type { WebSettings };

/**
 * The web server's settings (API address, the API token for its own calls), validated by the
 * settings module.
 */
export function webSettings(): WebSettings {
  return readWebSettings();
}
