import { type ExecutionResult, type FormattedExecutionResult, GraphQLError } from 'graphql';
import { isAsyncIterable, type Plugin } from 'graphql-yoga';

/**
 * Subscriptions over multipart HTTP, the protocol Apollo Client (with only an HttpLink), Apollo
 * Kotlin, Apollo iOS and Apollo Router speak: a POST (or GET) to /graphql with
 * `Accept: multipart/mixed;subscriptionSpec="1.0"` gets one long response whose parts are
 * `{"payload": <execution result>}` per event, `{}` as a heartbeat while nothing happens, and
 * `{"payload": null, "errors": […]}` if the stream itself fails; the closing boundary ends it.
 * https://www.apollographql.com/docs/graphos/routing/operations/subscriptions/multipart-protocol
 *
 * Only the response format is new: the operation runs through Yoga like SSE (same context, token,
 * authorization, `after` replay, query limits, error masking, live queue bound), so it is exactly
 * as safe. Yoga's own `multipart/mixed` (incremental delivery, for @defer) does not serve
 * subscriptions and answers 406; requests without `subscriptionSpec` keep Yoga's negotiation.
 */

const BOUNDARY = 'graphql';
export const MULTIPART_SUBSCRIPTION_TYPE = `multipart/mixed;boundary="${BOUNDARY}";subscriptionSpec="1.0"`;

/** True when an Accept header asks for Apollo's multipart subscriptions (`subscriptionSpec=1.0`, quoted or not). */
export function acceptsMultipartSubscription(accept: string | null): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...params] = range.split(';').map((part) => part.trim().toLowerCase());
    return type === 'multipart/mixed' && params.some((param) => param.replaceAll('"', '') === 'subscriptionspec=1.0');
  });
}

export type MultipartOptions = {
  /** How often an idle stream sends a `{}` part, so proxies and clients see the connection is alive. */
  heartbeatMs: number;
  /** Called with every result sent (to count its errors, as the other transports do). */
  onResult?: (result: ExecutionResult) => void;
};

/** Serves subscription results as multipart parts when the client asks for them. */
export function useMultipartSubscriptions(options: MultipartOptions): Plugin {
  // Requests that reached subscribe: a refusal there (no stream, only errors) is answered in a part too, like SSE.
  const subscriptions = new WeakSet<Request>();
  return {
    onSubscribe({ args }) {
      const request = (args.contextValue as { request?: Request }).request;
      if (request) subscriptions.add(request);
    },
    onResultProcess({ request, result, setResultProcessor }) {
      if (!acceptsMultipartSubscription(request.headers.get('accept'))) return;
      if (!isAsyncIterable(result) && !subscriptions.has(request)) return;
      setResultProcessor(
        (answer, fetchAPI) =>
          multipartResponse(
            isAsyncIterable(answer) ? (answer as AsyncIterable<ExecutionResult>) : once(answer as ExecutionResult),
            fetchAPI,
            options,
          ),
        'multipart/mixed',
      );
    },
  };
}

async function* once(result: ExecutionResult) {
  yield result;
}

function multipartResponse(
  results: AsyncIterable<ExecutionResult>,
  fetchAPI: { ReadableStream: typeof ReadableStream; Response: typeof Response },
  options: MultipartOptions,
): Response {
  const encoder = new TextEncoder();
  // Each part ends with the next boundary, so a client parses it the moment it arrives (one that
  // waited for the following boundary would see every event a heartbeat late).
  const part = (json: string) =>
    encoder.encode(`\r\ncontent-type: application/json; charset=utf-8\r\n\r\n${json}\r\n--${BOUNDARY}`);
  const iterator = results[Symbol.asyncIterator]();
  let heartbeat: NodeJS.Timeout | undefined;
  let ended = false;
  const end = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    ended = true;
    clearInterval(heartbeat);
    controller.enqueue(encoder.encode('--\r\n')); // after the last boundary: the closing one
    controller.close();
  };
  const body = new fetchAPI.ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(encoder.encode(`\r\n--${BOUNDARY}`));
      heartbeat = setInterval(() => controller.enqueue(part('{}')), options.heartbeatMs);
    },
    async pull(controller) {
      let next: IteratorResult<ExecutionResult>;
      try {
        next = await iterator.next();
      } catch {
        // Execution errors arrive as results; a throw here is a broken stream (its cause is logged
        // where it happened). The protocol's way to say so: a null payload with errors, then the end.
        const failed = {
          errors: [new GraphQLError('Unexpected error.', { extensions: { code: 'INTERNAL_SERVER_ERROR' } })],
        };
        options.onResult?.(failed);
        if (!ended) controller.enqueue(part(JSON.stringify({ payload: null, ...failed })));
        if (!ended) end(controller);
        return;
      }
      if (ended) return;
      if (next.done) return end(controller);
      options.onResult?.(next.value);
      controller.enqueue(part(JSON.stringify({ payload: withoutInternals(next.value) })));
    },
    async cancel() {
      // The client went away: stop the subscription (and its place in the live hub) now.
      ended = true;
      clearInterval(heartbeat);
      await iterator.return?.();
    },
  });
  return new fetchAPI.Response(body, {
    status: 200,
    headers: { 'content-type': MULTIPART_SUBSCRIPTION_TYPE, 'cache-control': 'no-cache' },
  });
}

/** What Yoga keeps out of every response body: the HTTP status its errors carry for itself. */
function withoutInternals(result: ExecutionResult): FormattedExecutionResult {
  if (!result.errors?.length) return result as FormattedExecutionResult;
  return {
    ...result,
    errors: result.errors.map((error) => {
      const json = error.toJSON();
      if (!json.extensions || !('http' in json.extensions)) return json;
      const { http: _http, ...extensions } = json.extensions;
      return { ...json, extensions };
    }),
  };
}
