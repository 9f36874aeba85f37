/**
 * Aborted when the process is told to stop at once (a second Ctrl-C): every API request in flight
 * ends. Apart from the Kubernetes adapter so that main can say so without loading the client.
 */
export const stopAtOnce = new AbortController();
