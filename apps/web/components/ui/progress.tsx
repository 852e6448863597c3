export function Progress({ value, label }: { value: number; label?: string }) {
  const pct = Math.max(0, Math.min(100, value));
  return (
    <div className="flex items-center gap-2" title={label}>
      <div className="h-1.5 w-24 overflow-hidden rounded-full bg-zinc-200 dark:bg-zinc-800" role="progressbar" aria-valuenow={Math.round(pct)} aria-valuemin={0} aria-valuemax={100} aria-label={label ?? "progress"}>
        <div className={pct >= 100 ? "h-full bg-emerald-500" : "h-full bg-indigo-500"} style={{ width: `${pct}%` }} />
      </div>
      {label ? <span className="text-xs tabular-nums text-zinc-500">{label}</span> : null}
    </div>
  );
}
