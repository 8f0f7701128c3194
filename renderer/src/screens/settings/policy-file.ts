// Reading a policy file the user picked: JSON.parse, with what went wrong turned into something
// a person can find in the file (line and column), and writing one for export.

/** Large enough for thousands of rules and networks; anything bigger is not a policy. */
export const MAX_POLICY_BYTES = 8 * 1024 * 1024;

export type PolicyFileProblem =
  | { kind: 'too-large'; size: number }
  | { kind: 'empty' }
  | { kind: 'syntax'; line: number | undefined; column: number | undefined; detail: string }
  | { kind: 'not-object' };

export type PolicyFileResult = { ok: true; value: Record<string, unknown> } | { ok: false; problem: PolicyFileProblem };

/** Line and column (both from 1) of a character offset. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, Math.min(offset, text.length)));
  const lines = before.split('\n');
  return { line: lines.length, column: (lines[lines.length - 1]?.length ?? 0) + 1 };
}

/** Where the parser stopped: V8 says "at position N" (and sometimes "line L column C"), or "end of JSON input". */
function whereParsingFailed(text: string, message: string): { line: number; column: number } | undefined {
  const lineCol = /line (\d+) column (\d+)/.exec(message);
  if (lineCol) return { line: Number(lineCol[1]), column: Number(lineCol[2]) };
  const position = /position (\d+)/.exec(message);
  if (position) return lineAndColumn(text, Number(position[1]));
  if (/end of JSON input/i.test(message)) return lineAndColumn(text, text.trimEnd().length);
  return undefined;
}

export function parsePolicyText(text: string): PolicyFileResult {
  if (!text.trim()) return { ok: false, problem: { kind: 'empty' } };
  let value: unknown;
  try {
    // A byte order mark is not JSON, but editors write one.
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (err) {
    const detail = (err as Error).message;
    const where = whereParsingFailed(text, detail);
    return { ok: false, problem: { kind: 'syntax', line: where?.line, column: where?.column, detail } };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return { ok: false, problem: { kind: 'not-object' } };
  return { ok: true, value: value as Record<string, unknown> };
}

/** `palisade-policy-2026-05-01.json`, in local time. */
export function exportFileName(now = new Date()): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `palisade-policy-${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}.json`;
}

/** Offers `text` as a file download (Electron shows its save dialog). */
export function downloadText(text: string, fileName: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = fileName;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  // The download has its own reference by now; give slow machines a moment anyway.
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}
