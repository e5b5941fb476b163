import type { ChildProcess } from 'node:child_process';
import type { ControlReply, ControlRequest } from '../servers/control';

/**
 * How the harness asks a bench server started with an IPC channel (servers/control.ts) for memory
 * figures, CPU time or a CPU profile: one request at a time, and a server that dies meanwhile fails
 * the run instead of hanging it.
 */
export function controlOf(child: ChildProcess, name: string) {
  return <T extends ControlRequest['type']>(request: Extract<ControlRequest, { type: T }>) =>
    new Promise<Extract<ControlReply, { type: T }>>((resolve, reject) => {
      const died = (code: number | null) => reject(new Error(`${name} exited (${code}) during ${request.type}`));
      child.once('exit', died);
      child.once('message', (reply) => {
        child.off('exit', died);
        resolve(reply as Extract<ControlReply, { type: T }>);
      });
      child.send(request);
    });
}

export type Control = ReturnType<typeof controlOf>;
