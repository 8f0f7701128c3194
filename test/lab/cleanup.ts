// One place for "undo this even if the run is interrupted": every lab resource registers a
// synchronous teardown that runs on destroy, on process exit, and on SIGINT/SIGTERM/SIGHUP.
const teardowns = new Set<() => void>();
let installed = false;

function runAll(): void {
  for (const teardown of [...teardowns].reverse()) {
    teardowns.delete(teardown);
    try { teardown(); } catch { /* keep tearing down the rest */ }
  }
}

/** Registers a synchronous teardown; returns a function that runs it now (once) and unregisters it. */
export function registerTeardown(teardown: () => void): () => void {
  if (!installed) {
    installed = true;
    process.on('exit', runAll);
    for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
      process.once(signal, () => {
        runAll();
        process.kill(process.pid, signal);
      });
    }
  }
  let done = false;
  const once = () => {
    if (done) return;
    done = true;
    teardowns.delete(once);
    teardown();
  };
  teardowns.add(once);
  return once;
}
