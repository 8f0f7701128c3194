// The window of a virtual table with a sticky header: which rows to render, and the spacer
// heights above and below them. The Activity table and the blocked-attempts table share it.
import { useCallback, type RefObject } from 'react';
import { useVirtualizer, type VirtualItem } from '@tanstack/react-virtual';

/** Heights the tables' CSS gives their rows (two lines of text) and header (px); the virtualiser relies on them. */
export const ROW_HEIGHT = 48;
export const HEADER_HEIGHT = 38;

export interface VirtualRows {
  items: VirtualItem[];
  /** Spacer heights before the first and after the last rendered row. */
  paddingTop: number;
  paddingBottom: number;
}

export function useVirtualRows(rows: readonly { key: string | number }[], scrollRef: RefObject<HTMLDivElement | null>): VirtualRows {
  const getItemKey = useCallback((index: number) => rows[index]?.key ?? index, [rows]);
  const virtualizer = useVirtualizer({
    count: rows.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    getItemKey,
    overscan: 8,
    scrollMargin: HEADER_HEIGHT,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0];
  const last = items[items.length - 1];
  return {
    items,
    paddingTop: first ? first.start - HEADER_HEIGHT : 0,
    paddingBottom: last ? virtualizer.getTotalSize() - (last.end - HEADER_HEIGHT) : 0,
  };
}
