import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:net';
import { describe, it } from 'node:test';
import { allocatePorts, localPortProbe, type PortProbe } from '../../../src/sandbox/ports.js';

function fakeProbe(busy: number[], free: number[]): PortProbe {
  const queue = [...free];
  return {
    isFree: async (port) => !busy.includes(port),
    anyFree: async () => {
      const next = queue.shift();
      if (next === undefined) throw new Error('fake probe ran out of ports');
      return next;
    },
  };
}

describe('port allocation', () => {
  it('uses the preferred port when it is free', async () => {
    const ports = await allocatePorts([{ name: 'chartmuseum', preferred: 8080 }], fakeProbe([], [40001]));
    assert.equal(ports.get('chartmuseum'), 8080);
  });

  it('takes another free port when the preferred one is taken', async () => {
    const ports = await allocatePorts([{ name: 'chartmuseum', preferred: 8080 }], fakeProbe([8080], [40001]));
    assert.equal(ports.get('chartmuseum'), 40001);
  });

  it('never hands out one port twice', async () => {
    const ports = await allocatePorts(
      [{ name: 'a', preferred: 6443 }, { name: 'b', preferred: 6443 }, { name: 'c' }, { name: 'd' }],
      fakeProbe([], [6443, 40001, 40001, 40002, 40003]),
    );
    assert.deepEqual([...ports.values()], [6443, 40001, 40002, 40003]);
  });

  it('probes real sockets: a listening port is not free', async () => {
    const server: Server = await new Promise((resolve) => {
      const s = createServer();
      s.listen({ host: '127.0.0.1', port: 0 }, () => resolve(s));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      assert.equal(await localPortProbe.isFree(port), false);
      const ports = await allocatePorts([{ name: 'x', preferred: port }], localPortProbe);
      assert.notEqual(ports.get('x'), port);
    } finally {
      server.close();
    }
    assert.equal(await localPortProbe.isFree(port), true);
  });
});
