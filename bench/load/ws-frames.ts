import { connect, type Socket } from 'node:net';

/**
 * A minimal WebSocket client (RFC 6455) for the load generators, on `net.Socket`: one load core
 * must read hundreds of thousands of frames a second, so it costs per frame what the server does,
 * or the load side, not the server, sets the saturation figure. `ws`'s client paid a Receiver
 * per socket, a stream `data` event and a Buffer per read and per message; here:
 *
 * - every socket reads into one buffer for the whole process (`onread`): a read is handled to the
 *   end before the next one starts, so nothing is allocated per read;
 * - frames are parsed in place: `message(data, start, end)` gets the read buffer and the payload's
 *   bounds, valid only during the call. Only a frame split across reads is copied (just its bytes);
 * - the upgrade request is prebuilt per URL (fixed key; the 101 status line is checked, the
 *   Sec-WebSocket-Accept is not), no HTTP parser;
 * - client frames are masked with the zero key (legal, and the payload is written as it is).
 *
 * Handled: 16- and 64-bit lengths, fragmented messages (continuation frames), ping (answered by
 * a pong with its payload), close (echoed, then the socket ends). `close(code, reason)` comes once,
 * when the TCP socket has closed: the code of the server's close frame (1005 if it had none), or
 * 1006 when the socket dropped without one, as `ws` reports it; an `error` before it says why.
 */
export type WsEvents = {
  open(): void;
  /** One whole text or binary message: `data[start, end)`, valid only until this call returns. */
  message(data: Buffer, start: number, end: number): void;
  error(error: Error): void;
  close(code: number, reason: string): void;
};

const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
let readSerial = 0;
/** Counts reads (any socket): frames handed over with the same count arrived in the same read. */
export const readCount = () => readSerial;

/** The largest message accepted (the bench's are < 1 KiB). */
const MAX_PAYLOAD = 16 * 1024 * 1024;
const HEADER_END = Buffer.from('\r\n\r\n');
const STATUS_101 = Buffer.from('HTTP/1.1 101 ');
const KEY = 'dGhlIHNhbXBsZSBub25jZQ=='; // RFC 6455's sample key: the server only needs a well-formed one
const requests = new Map<string, Buffer>();

function upgradeRequest(url: URL, protocol: string): Buffer {
  const key = `${url.host}${url.pathname}${url.search} ${protocol}`;
  let request = requests.get(key);
  if (!request) {
    request = Buffer.from(
      `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: ${KEY}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: ${protocol}\r\n\r\n`,
      'latin1',
    );
    requests.set(key, request);
  }
  return request;
}

/** Size of the frame at `data[pos, pos + avail)`: header + payload, or -1 while its header is incomplete. */
function frameSize(data: Buffer, pos: number, avail: number): number {
  if (avail < 2) return -1;
  const b1 = data[pos + 1];
  const len = b1 & 0x7f;
  const mask = b1 & 0x80 ? 4 : 0;
  if (len < 126) return 2 + mask + len;
  if (len === 126) return avail < 4 ? -1 : 4 + mask + data.readUInt16BE(pos + 2);
  if (avail < 10) return -1;
  return 10 + mask + data.readUInt32BE(pos + 2) * 0x1_0000_0000 + data.readUInt32BE(pos + 6);
}

/** What a FrameReader finds in the bytes it is given. */
export type FrameEvents = {
  /** One whole text or binary message: `data[start, end)`, valid only until this call returns. */
  message(data: Buffer, start: number, end: number): void;
  ping(data: Buffer, start: number, end: number): void;
  /** A close frame's payload (code and reason, or nothing). Nothing after it is read. */
  close(data: Buffer, start: number, end: number): void;
  /** A protocol violation, with the close code for it; nothing after it is read. */
  fail(error: Error, code: number): void;
};

/**
 * Server-to-client frames (unmasked) parsed in place from whatever chunks the socket reads: many
 * frames in one chunk are handed over where they are; a frame cut off at a chunk's end is copied
 * (only its bytes) until it is whole. Pure: no socket, testable byte by byte.
 */
export class FrameReader {
  /** A frame split across chunks: its bytes so far, and how many of them there are. */
  private carry: Buffer | null = null;
  private carried = 0;
  /** A fragmented message's payload so far. */
  private fragments: Buffer[] | null = null;
  private done = false;

  constructor(private readonly on: FrameEvents) {}

  /** Every complete frame in `data[pos, end)`; a frame cut off at `end` is kept for the next chunk. */
  push(data: Buffer, pos: number, end: number) {
    if (this.carry) {
      pos = this.fillCarry(data, pos, end);
      if (this.carry) return;
    }
    while (pos < end && !this.done) {
      const size = frameSize(data, pos, end - pos);
      if (size < 0 || size > end - pos) {
        if (size > MAX_PAYLOAD) return this.fail(new Error(`frame of ${size} bytes`), 1009);
        this.carry = Buffer.allocUnsafe(size < 0 ? 14 : size);
        this.carried = data.copy(this.carry, 0, pos, end);
        return;
      }
      this.frame(data, pos, size);
      pos += size;
    }
  }

  /** Completes the carried frame from `data[pos, end)` and hands it over; returns where it stopped. */
  private fillCarry(data: Buffer, pos: number, end: number): number {
    for (;;) {
      const carry = this.carry!;
      let size = frameSize(carry, 0, this.carried);
      if (size > MAX_PAYLOAD) {
        this.carry = null;
        this.fail(new Error(`frame of ${size} bytes`), 1009);
        return end;
      }
      // Header still incomplete: copy no more than the header can be, never past it.
      const want = size >= 0 ? size : this.carried < 2 ? 2 : (carry[1] & 0x7f) === 126 ? 4 : 10;
      if (want > carry.length) {
        const grown = Buffer.allocUnsafe(want);
        carry.copy(grown, 0, 0, this.carried);
        this.carry = grown;
        continue;
      }
      const n = Math.min(want - this.carried, end - pos);
      data.copy(carry, this.carried, pos, pos + n);
      this.carried += n;
      pos += n;
      if (this.carried < want) return pos;
      size = frameSize(carry, 0, this.carried);
      if (size >= 0 && this.carried === size) {
        this.carry = null;
        this.carried = 0;
        this.frame(carry, 0, size);
        return pos;
      }
    }
  }

  /** One complete frame at `data[pos, pos + size)`. */
  private frame(data: Buffer, pos: number, size: number) {
    const b0 = data[pos];
    const b1 = data[pos + 1];
    const len7 = b1 & 0x7f;
    const start = pos + (len7 < 126 ? 2 : len7 === 126 ? 4 : 10);
    const end = pos + size;
    if (b1 & 0x80) return this.fail(new Error('masked frame from the server'), 1002);
    if (b0 & 0x70) return this.fail(new Error('reserved bits set (no extension was negotiated)'), 1002);
    const fin = b0 & 0x80;
    const opcode = b0 & 0x0f;
    if (opcode === 0x1 || opcode === 0x2) {
      if (this.fragments) return this.fail(new Error('new message inside a fragmented one'), 1002);
      if (fin) return this.on.message(data, start, end);
      this.fragments = [Buffer.from(data.subarray(start, end))];
    } else if (opcode === 0x0) {
      if (!this.fragments) return this.fail(new Error('continuation without a message'), 1002);
      this.fragments.push(Buffer.from(data.subarray(start, end)));
      if (fin) {
        const whole = Buffer.concat(this.fragments);
        this.fragments = null;
        this.on.message(whole, 0, whole.length);
      }
    } else if (opcode === 0x9) {
      this.on.ping(data, start, end);
    } else if (opcode === 0xa) {
      // pong: nothing to do
    } else if (opcode === 0x8) {
      this.done = true;
      this.on.close(data, start, end);
    } else {
      this.fail(new Error(`unknown opcode ${opcode}`), 1002);
    }
  }

  private fail(error: Error, code: number) {
    this.done = true;
    this.on.fail(error, code);
  }
}

const CONNECTING = 0;
const OPEN = 1;
const CLOSING = 2;
const CLOSED = 3;

/** A WebSocket client connection: the upgrade, then a FrameReader over every read. */
export class WsClient {
  private readonly socket: Socket;
  private state = CONNECTING;
  /** The HTTP response so far, when it did not come in one read. */
  private response: Buffer | null = null;
  private readonly reader: FrameReader;
  private closeCode = 1006;
  private closeReason = '';

  constructor(
    url: string,
    protocol: string,
    options: { localAddress?: string },
    private readonly on: WsEvents,
  ) {
    const parsed = new URL(url);
    const request = upgradeRequest(parsed, protocol);
    this.reader = new FrameReader({
      message: (data, start, end) => this.state === OPEN && on.message(data, start, end),
      ping: (data, start, end) => this.state === OPEN && this.control(0x8a, data, start, end),
      close: (data, start, end) => {
        this.closeCode = end - start >= 2 ? data.readUInt16BE(start) : 1005;
        this.closeReason = end - start > 2 ? data.toString('utf8', start + 2, end) : '';
        if (this.state !== OPEN) return;
        // Echo the code (none if it sent none), then end our side; the server ends its own.
        this.control(0x88, data, start, Math.min(end, start + 2));
        this.state = CLOSING;
        this.socket.end();
        setTimeout(() => this.socket.destroy(), 30_000).unref();
      },
      fail: (error, code) => this.fail(error, code),
    });
    this.socket = connect({
      host: parsed.hostname,
      port: Number(parsed.port || 80),
      localAddress: options.localAddress,
      noDelay: true,
      onread: {
        buffer: READ_BUFFER,
        callback: (n: number, buffer: Uint8Array) => {
          readSerial += 1;
          if (this.state === OPEN) this.reader.push(buffer as Buffer, 0, n);
          else if (this.state === CONNECTING) this.handshake(buffer as Buffer, n);
          return true;
        },
      },
    });
    this.socket.on('connect', () => this.socket.write(request));
    this.socket.on('error', (error) => this.on.error(error));
    this.socket.on('close', () => {
      this.state = CLOSED;
      this.on.close(this.closeCode, this.closeReason);
    });
  }

  get isOpen() {
    return this.state === OPEN;
  }

  /** One text message, masked with the zero key. */
  send(text: string) {
    if (this.state !== OPEN) return;
    const length = Buffer.byteLength(text);
    const header = length < 126 ? 6 : length < 0x10000 ? 8 : 14;
    const frame = Buffer.allocUnsafe(header + length);
    frame[0] = 0x81;
    if (length < 126) frame[1] = 0x80 | length;
    else if (length < 0x10000) (frame[1] = 0xfe), frame.writeUInt16BE(length, 2);
    else (frame[1] = 0xff), frame.writeUInt32BE(0, 2), frame.writeUInt32BE(length, 6);
    frame.writeUInt32BE(0, header - 4);
    frame.write(text, header);
    this.socket.write(frame);
  }

  /** Drops the connection without a close frame (`close` then reports 1006). */
  terminate() {
    this.socket.destroy();
  }

  /** The HTTP response (101, or the connection fails), then whatever frames followed it. */
  private handshake(data: Buffer, end: number) {
    let buffer = data;
    let length = end;
    if (this.response) {
      buffer = Buffer.concat([this.response, data.subarray(0, end)]);
      length = buffer.length;
      this.response = null;
    }
    const at = buffer.subarray(0, length).indexOf(HEADER_END);
    if (at < 0) {
      if (length > 16 * 1024) this.fail(new Error('upgrade response too long'));
      else this.response = buffer === data ? Buffer.from(data.subarray(0, end)) : buffer;
      return;
    }
    if (buffer.compare(STATUS_101, 0, STATUS_101.length, 0, Math.min(length, STATUS_101.length)) !== 0)
      return this.fail(new Error(`Unexpected server response: ${buffer.toString('latin1', 0, Math.min(at, 40))}`));
    this.state = OPEN;
    this.on.open();
    if (this.state === OPEN) this.reader.push(buffer, at + HEADER_END.length, length);
  }

  /** A control frame (pong, close) with `data[start, end)` as its payload (≤ 125 bytes). */
  private control(b0: number, data: Buffer, start: number, end: number) {
    const length = end - start;
    const frame = Buffer.allocUnsafe(6 + length);
    frame[0] = b0;
    frame[1] = 0x80 | length;
    frame.writeUInt32BE(0, 2);
    data.copy(frame, 6, start, end);
    this.socket.write(frame);
  }

  /** A protocol error: reported, and the socket dropped (`close` reports `code`, as `ws` does). */
  private fail(error: Error, code = 1006) {
    if (this.state === CLOSED) return;
    this.state = CLOSED;
    this.closeCode = code;
    this.on.error(error);
    this.socket.destroy();
  }
}
