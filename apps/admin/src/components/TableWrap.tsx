import type { ReactNode } from "react";

/**
 * The scrolling box around a wide table: a named region that takes focus, so
 * keyboard users can scroll it too (the row actions stay pinned in view, see styles.css).
 */
export function TableWrap({ label, children, className }: { label: string; children: ReactNode; className?: string }) {
  return (
    // biome-ignore lint/a11y/noNoninteractiveTabindex: a scrollable region must be focusable to be scrolled with the keyboard
    <section className={`table-wrap ${className ?? ""}`} tabIndex={0} aria-label={`${label} (scrolls sideways)`}>
      {children}
    </section>
  );
}
