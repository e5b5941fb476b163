type Waiting<K, V> = { key: K; resolve(value: V | undefined): void; reject(error: unknown): void };

/**
 * Loads keys in batches without waiting for a batch to fill: the keys asked during one turn of the
 * event loop (every socket and request it read) go together at the end of that turn
 * (`setImmediate`, right after the loop's I/O callbacks: no timer, no added delay on a quiet
 * server) while fewer than `maxInFlight` loads run; beyond that, keys wait for a load to finish and
 * then go together (at most `maxBatch` at a time). A burst (a connection storm: a session lookup
 * per socket) costs a few queries instead of one each: a load sent the moment its key was asked
 * went alone nearly every time, since the queries are fast and 4 rarely ran at once. Nothing is
 * cached: every key is loaded by a query that starts after it was asked for.
 */
export function createBatcher<K, V>(
  load: (keys: K[]) => Promise<Map<K, V>>,
  options: { maxInFlight: number; maxBatch: number },
) {
  let inFlight = 0;
  let waiting: Waiting<K, V>[] = [];
  let scheduled = false;

  function run(batch: Waiting<K, V>[]) {
    inFlight += 1;
    load([...new Set(batch.map((w) => w.key))])
      .then(
        (found) => {
          for (const w of batch) w.resolve(found.get(w.key));
        },
        (error: unknown) => {
          for (const w of batch) w.reject(error);
        },
      )
      .finally(() => {
        inFlight -= 1;
        next();
      });
  }

  function next() {
    while (inFlight < options.maxInFlight && waiting.length > 0) {
      const batch = waiting.length <= options.maxBatch ? waiting : waiting.slice(0, options.maxBatch);
      waiting = batch === waiting ? [] : waiting.slice(options.maxBatch);
      run(batch);
    }
  }

  function endOfTurn() {
    scheduled = false;
    next();
  }

  return (key: K) =>
    new Promise<V | undefined>((resolve, reject) => {
      waiting.push({ key, resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(endOfTurn);
      }
    });
}
