// What the live connection is given, and its tunables with their defaults.

export type LiveOptions = {
  /** The API's HTTP URL; the socket uses the same path over ws(s). */
  url: string;
  /** The current token, read at every (re)connect. */
  getToken: () => string | undefined;
  /** When the current token expires (ms since epoch), if known. */
  getExpiry: () => number | undefined;
  /** Renews the token; resolves false when that failed (the caller signs out on a refusal). */
  renew: () => Promise<boolean>;
  /** Headers (the token) for the HTTP requests: liveCursor and updates. */
  fetchOptions: () => RequestInit;
  /**
   * How often `updates` is polled while the socket is down.
   * @default 10_000
   */
  pollIntervalMs?: number;
  /**
   * The longest wait between polls: the interval doubles after each failed poll up to this.
   * @default 60_000
   */
  pollMaxIntervalMs?: number;
  /**
   * How many events one `updates` page asks for (`hasMore` pages follow at once).
   * @default 200
   */
  pollPageSize?: number;
  /**
   * Show "Offline — polling" (and start polling) when the socket is not back within this time
   * (at once when the browser says it is offline).
   * @default 3_000
   */
  offlineAfterMs?: number;
  /**
   * The client pings this often (graphql-ws `keepAlive`).
   * @default 10_000
   */
  keepAliveMs?: number;
  /**
   * While the tab is hidden, `updates` is polled (socket down) at most this often; showing the tab
   * polls at once.
   * @default 60_000
   */
  hiddenPollIntervalMs?: number;
  /**
   * While the tab is hidden, the client pings at most this often; showing the tab pings at once,
   * so a link that died meanwhile (a sleeping phone) is noticed within `pongTimeoutMs`.
   * @default 60_000
   */
  hiddenKeepAliveMs?: number;
  /**
   * No pong within this time after a ping: the socket is dead (sleeping laptop, dropped Wi-Fi) and
   * is terminated, which graphql-ws retries.
   * @default 5_000
   */
  pongTimeoutMs?: number;
  /**
   * A socket that opens but is never acknowledged (a stuck proxy) is closed and retried after this.
   * @default 10_000
   */
  connectionAckWaitTimeoutMs?: number;
  /**
   * Clicks of the refresh button within this time make one request.
   * @default 1_500
   */
  refreshDebounceMs?: number;
  /**
   * How long the app waits for the starting cursor before it shows its views anyway (they are read
   * again once the cursor arrives).
   * @default 5_000
   */
  readyTimeoutMs?: number;
  /**
   * How many times in a row a query answered from a read older than the events applied is asked
   * again (freshnessExchange).
   * @default 3
   */
  staleRereads?: number;
};

export type Settings = Required<LiveOptions>;

export const withDefaults = (options: LiveOptions): Settings => ({
  pollIntervalMs: 10_000,
  pollMaxIntervalMs: 60_000,
  pollPageSize: 200,
  offlineAfterMs: 3_000,
  keepAliveMs: 10_000,
  hiddenPollIntervalMs: 60_000,
  hiddenKeepAliveMs: 60_000,
  pongTimeoutMs: 5_000,
  connectionAckWaitTimeoutMs: 10_000,
  refreshDebounceMs: 1_500,
  readyTimeoutMs: 5_000,
  staleRereads: 3,
  ...options,
});
