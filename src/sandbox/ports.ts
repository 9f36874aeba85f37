import { createServer } from 'node:net';

export interface PortRequest {
  name: string;
  /** The conventional port (8080 for ChartMuseum, 5000 for a registry...), used when free. */
  preferred?: number;
}

export interface PortProbe {
  isFree(port: number): Promise<boolean>;
  anyFree(): Promise<number>;
}

/**
 * Gives every request a distinct port: its preferred one when that is free, else any free one.
 * The probe is injected so the choice can be tested without sockets.
 */
export async function allocatePorts(
  requests: readonly PortRequest[],
  probe: PortProbe,
): Promise<Map<string, number>> {
  const taken = new Set<number>();
  const ports = new Map<string, number>();
  for (const request of requests) {
    let port: number | undefined;
    if (
      request.preferred !== undefined &&
      !taken.has(request.preferred) &&
      (await probe.isFree(request.preferred))
    ) {
      port = request.preferred;
    }
    for (let attempt = 0; port === undefined && attempt < 100; attempt++) {
      const candidate = await probe.anyFree();
      if (!taken.has(candidate)) port = candidate;
    }
    if (port === undefined) throw new Error(`no free port found for ${request.name}`);
    taken.add(port);
    ports.set(request.name, port);
  }
  return ports;
}

function listenOn(port: number): Promise<number | undefined> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once('error', () => resolve(undefined));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () => {
      const address = server.address();
      const bound = typeof address === 'object' && address ? address.port : undefined;
      server.close(() => resolve(bound));
    });
  });
}

/** Probes by binding 127.0.0.1 (where every sandbox component listens). */
export const localPortProbe: PortProbe = {
  isFree: async (port) => (await listenOn(port)) === port,
  anyFree: async () => {
    const port = await listenOn(0);
    if (port === undefined) throw new Error('could not bind any port on 127.0.0.1');
    return port;
  },
};
