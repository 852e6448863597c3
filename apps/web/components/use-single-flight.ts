import { useRef } from "react";

type Mutation<V> = { mutate: (vars: V, opts?: { onSettled?: () => void }) => void };

/**
 * A mutation's `mutate` that ignores a call while the same request (same input) it sent is still
 * running. A double click lands both clicks before React renders `isPending` (which disables the
 * button), so without this the second request went too: a second archive was refused ("being
 * archived by another request") and its message replaced the first one's real answer; syncs and
 * validations ran twice.
 */
export function useSingleFlight<V>(mutation: Mutation<V>): (vars: V) => void {
  const running = useRef(new Set<string>());
  return (vars: V) => {
    const key = JSON.stringify(vars) ?? "";
    if (running.current.has(key)) return;
    running.current.add(key);
    mutation.mutate(vars, { onSettled: () => running.current.delete(key) });
  };
}
