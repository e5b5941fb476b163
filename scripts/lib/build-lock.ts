import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { isAlive } from '../../db/embedded-leftovers';
import { ROOT } from './paths';

const LOCK = join(ROOT, 'node_modules/.cache/homeroom-next-build.lock');

/**
 * One `next build` at a time per checkout: a second copy (the e2e suite) started while another
 * builds waits for it instead of writing into the same `.next`. A lock whose holder died is taken over.
 */
export async function withBuildLock<T>(
  work: () => Promise<T>,
  options: { log: (line: string) => void; cancelled: () => boolean },
): Promise<T> {
  mkdirSync(dirname(LOCK), { recursive: true });
  const deadline = Date.now() + 15 * 60_000;
  let told = false;
  for (;;) {
    try {
      const fd = openSync(LOCK, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number.parseInt(readFileSync(LOCK, 'utf8') || '0', 10);
    if (!(holder > 0) || !isAlive(holder)) {
      rmSync(LOCK, { force: true });
      continue;
    }
    if (options.cancelled()) throw new Error('cancelled while waiting for the build lock');
    if (Date.now() > deadline) throw new Error(`another next build (pid ${holder}) holds ${LOCK} for too long`);
    if (!told) options.log(`waiting for another next build to finish (pid ${holder})`);
    told = true;
    await new Promise((r) => setTimeout(r, 1_000));
  }
  try {
    return await work();
  } finally {
    rmSync(LOCK, { force: true });
  }
}
