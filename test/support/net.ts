import { createServer } from 'node:net';

/** a TCP port of 127.0.0.1 that nothing listens on right now (for a server a test starts in a child process) */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
