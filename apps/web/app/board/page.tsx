"use client";
import { Board } from "~/components/lifecycle/board";

/** Active changes by lifecycle status: drag and drop, keyboard moves, multi-select bulk edits. */
export default function BoardPage() {
  return <Board />;
}
