/**
 * Builds a handler's dependencies once per execution environment, on first invocation; a failed
 * build (queues not created yet, say) is retried on the next invocation rather than cached.
 */
export function once<T>(build: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    if (!pending) {
      pending = build();
      pending.catch(() => {
        pending = undefined;
      });
    }
    return pending;
  };
}
