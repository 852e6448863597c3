import { useSyncExternalStore } from "react";

const noop = () => () => {};

/** False in the server's HTML and during hydration, true once React handles events. */
export function useHydrated() {
  return useSyncExternalStore(
    noop,
    () => true,
    () => false,
  );
}
