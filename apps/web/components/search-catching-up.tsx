/**
 * After a large import the search vectors are filled in the background; until then those rows
 * match a search by name and title only (specs-service.ts). Says so rather than show a silent gap.
 */
export function SearchCatchingUp({ pending, noun }: { pending: number | undefined; noun: string }) {
  if (!pending) return null;
  return (
    <p
      className="text-xs text-amber-700 dark:text-amber-400"
      role="status"
      data-testid="search-catching-up"
    >
      Search is catching up: {pending} {noun}
      {pending === 1 ? "" : "s"} not yet searchable by their text
    </p>
  );
}

/** Asks again while the search is catching up, so the line goes once the fill is done. */
export const refetchWhileCatchingUp = (q: { state: { data?: { searchPending: number } } }) =>
  q.state.data?.searchPending ? 3000 : false;
