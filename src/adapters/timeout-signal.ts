/**
 * `AbortSignal.timeout(ms)` that keeps its promise. Node 20's timer holds that signal only
 * weakly, and so does `AbortSignal.any`: after a garbage collection the request it bounds was
 * never aborted (a request to a black-holed API server waited 79 s for the kernel instead of its
 * 20 s). Here the timer holds the controller. The timer is unref'd: it never keeps the process
 * up by itself (a request in flight does).
 */
export function timeoutSignal(ms: number): AbortSignal {
  const controller = new AbortController();
  setTimeout(
    () => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
    ms,
  ).unref();
  return controller.signal;
}
