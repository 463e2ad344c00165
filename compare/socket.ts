/**
 * A socket for the comparison streams whose reads all land in one reused 64 KB buffer.
 *
 * A plain socket allocates a new buffer for every read: a 5M-row stream is ~8,000 of them per
 * side, garbage at once, but freed only when V8 collects, which the few JS objects they come
 * with rarely trigger; 20-45 MB of dead socket buffers were alive at any moment (measured,
 * docs/comparison.md). Here Node reads into one buffer (`onread`); while a COPY reader is
 * attached it parses that buffer in place (it copies what it keeps), and otherwise the bytes are
 * copied into a fresh buffer and emitted as 'data' for pg's own parser, which may keep them.
 */
import net from 'node:net';

const DIRECT = Symbol('golive.directReader');

type Direct = (chunk: Buffer) => void;
type DirectSocket = net.Socket & { [DIRECT]?: Direct | null };

export function reusedBufferSocket(): net.Socket {
  const buffer = Buffer.allocUnsafe(64 * 1024);
  // `onread` is a constructor option of net.Socket since Node 12 (the types list it only for connect)
  const socket: DirectSocket = new net.Socket({
    onread: {
      buffer,
      callback: (n: number): boolean => {
        const direct = socket[DIRECT];
        if (direct) direct(buffer.subarray(0, n));
        else socket.emit('data', Buffer.from(buffer.subarray(0, n)));
        return true;
      },
    },
  } as net.SocketConstructorOpts);
  socket[DIRECT] = null;
  return socket;
}

/** True when `socket` came from `reusedBufferSocket` (reads can be taken over without a listener swap). */
export function isReusedBufferSocket(socket: unknown): boolean {
  return typeof socket === 'object' && socket !== null && DIRECT in socket;
}

/** Route the socket's reads to `fn` (views of the reused buffer, valid only during the call), or back to 'data' with null. */
export function setDirectReader(socket: net.Socket, fn: Direct | null): void {
  (socket as DirectSocket)[DIRECT] = fn;
}

/** pg `stream` option (pg passes its connection settings): the reused-buffer socket, except for TLS (pg wraps the socket it gets). */
export function comparisonStream(config?: unknown): net.Socket {
  const ssl = typeof config === 'object' && config !== null && 'ssl' in config && !!(config as { ssl?: unknown }).ssl;
  return ssl ? new net.Socket() : reusedBufferSocket();
}
