"use client";
import Link from "next/link";
import { createContext, type ReactNode, useCallback, useContext, useState } from "react";

type Toast = {
  id: number;
  title: string;
  body?: string;
  href?: string;
  tone?: "info" | "warn" | "error";
};
const ToastContext = createContext<(t: Omit<Toast, "id">) => void>(() => {});

export function useToast() {
  return useContext(ToastContext);
}

let nextId = 1;

export function Toaster({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const push = useCallback((t: Omit<Toast, "id">) => {
    const id = nextId++;
    setToasts((all) => [...all.slice(-3), { ...t, id }]);
    setTimeout(
      () => setToasts((all) => all.filter((x) => x.id !== id)),
      t.tone === "info" ? 4000 : 12000,
    );
  }, []);
  return (
    <ToastContext.Provider value={push}>
      {children}
      <div
        className="fixed right-4 bottom-4 z-50 flex w-96 max-w-[calc(100vw-2rem)] flex-col gap-2"
        role="status"
        aria-live="polite"
      >
        {toasts.map((t) => (
          // A path or token from the server has no spaces to break at: wrap it anywhere rather than
          // let it run out of the box (and off a phone's screen).
          <div
            key={t.id}
            data-testid="toast"
            className={`min-w-0 rounded-lg border p-3 text-sm wrap-anywhere shadow-lg ${t.tone === "warn" ? "border-amber-300 bg-amber-50 dark:border-amber-800 dark:bg-amber-950" : t.tone === "error" ? "border-red-300 bg-red-50 dark:border-red-800 dark:bg-red-950" : "border-zinc-200 bg-white dark:border-zinc-800 dark:bg-zinc-900"}`}
          >
            <div className="font-medium">{t.title}</div>
            {t.body ? (
              <div className="mt-0.5 whitespace-pre-wrap text-zinc-600 dark:text-zinc-400">
                {t.body}
              </div>
            ) : null}
            {t.href ? (
              <Link
                className="mt-1 inline-block text-indigo-600 underline dark:text-indigo-400"
                href={t.href}
              >
                Open
              </Link>
            ) : null}
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}
