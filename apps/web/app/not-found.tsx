import Link from "next/link";

/** Unknown change, spec or address: HTTP 404 with a way back. */
export default function NotFound() {
  return (
    <div
      id="content"
      tabIndex={-1}
      className="mx-auto max-w-lg space-y-3 py-16 text-center"
      data-testid="not-found"
    >
      <h1 className="text-2xl font-semibold">Not found</h1>
      <p className="text-sm text-zinc-500 dark:text-zinc-400">
        There is no change or spec at this address. It may have been renamed, archived or deleted.
      </p>
      <p className="flex justify-center gap-4 text-sm">
        <Link href="/" className="text-indigo-600 underline dark:text-indigo-400">
          Back to changes
        </Link>
        <Link href="/specs" className="text-indigo-600 underline dark:text-indigo-400">
          Browse specs
        </Link>
      </p>
    </div>
  );
}
