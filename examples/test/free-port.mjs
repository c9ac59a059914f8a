import { createServer } from 'node:net';

/** A loopback port free right now: tests that restart a server need to know its port before it exists. */
export const freePort = () =>
  new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
