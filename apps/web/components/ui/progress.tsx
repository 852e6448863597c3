export function Progress({ value, label }: { value: number; label?: string }) {
  const pct = Math.max(0, Math.min(100, value));
  return (
    <div className="flex min-w-0 items-center gap-2" title={label}>
      <div
        className="h-1.5 w-16 shrink overflow-hidden sm:w-24 rounded-full bg-zinc-200 dark:bg-zinc-800"
        role="progressbar"
        aria-valuenow={Math.round(pct)}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-label={label ?? "progress"}
      >
        <div
          className={pct >= 100 ? "h-full bg-emerald-500" : "h-full bg-indigo-500"}
          style={{ width: `${pct}%` }}
        />
      </div>
      {label ? (
        <span
          className="text-xs whitespace-nowrap tabular-nums text-zinc-500 dark:text-zinc-400"
          data-testid="progress-label"
        >
          {label}
        </span>
      ) : null}
    </div>
  );
}
