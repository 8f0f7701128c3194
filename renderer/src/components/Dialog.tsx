// A modal dialog on the native <dialog> element: focus moves into it, Escape closes it.
import { useEffect, useRef, type ReactNode } from 'react';

export function Dialog({ open, onClose, labelledBy, children, testId, wide = false }: { open: boolean; onClose: () => void; labelledBy: string; children: ReactNode; testId?: string; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    if (open && !dialog.open) dialog.showModal();
    if (!open && dialog.open) dialog.close();
  }, [open]);
  return (
    <dialog ref={ref} className={wide ? 'wide' : undefined} aria-labelledby={labelledBy} data-testid={testId} onCancel={(e) => { e.preventDefault(); onClose(); }}>
      {open && children}
    </dialog>
  );
}
