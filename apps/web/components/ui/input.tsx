"use client";
import type { ComponentProps, SelectHTMLAttributes } from "react";
import { useHydrated } from "~/components/use-hydrated";
import { cn } from "~/lib/utils";

const field =
  "h-9 rounded-md border border-zinc-300 bg-white px-2.5 text-sm dark:border-zinc-700 dark:bg-zinc-900";

export function Input({ className, ...props }: ComponentProps<"input">) {
  return <input className={cn(field, className)} {...props} />;
}

/**
 * A <select> is disabled (and says it is loading) until the page has hydrated: a choice made
 * before that fires no onChange, and React would then put its controlled value back.
 */
export function Select({ className, disabled, ...props }: SelectHTMLAttributes<HTMLSelectElement>) {
  const hydrated = useHydrated();
  return (
    <select
      className={cn(field, "pr-7", !hydrated && "cursor-progress opacity-60", className)}
      disabled={disabled || !hydrated}
      aria-busy={hydrated ? undefined : true}
      title={hydrated ? props.title : "Loading…"}
      {...props}
    />
  );
}
