/** The text of one whole WebSocket frame as a server writes it (final, unmasked; server/transport/frames.ts). */
export function textOfFrame(frame: Buffer) {
  const length = frame[1] & 0x7f;
  return frame.toString('utf8', length < 126 ? 2 : length === 126 ? 4 : 10);
}
