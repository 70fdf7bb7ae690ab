// Hive Gateway serving the supergraph file the router service writes.
//
//   node serve.mjs --supergraph PATH --host 127.0.0.1 --port N [--headers a,b,c]
//                  [--faults PATH] [--fallbacks a,b --fallback-url URL --fallback-timeout-ms N]
//                  [--persisted-manifest PATH [--persisted-only]]
//
// Why not the `hive-gateway supergraph PATH` CLI: its file watcher follows the
// file's inode and stops for good ("Supergraph file was renamed") when the file
// is replaced atomically (write aside, rename over), which is the only safe
// way to change it under a reader. Here the folder is watched instead, the
// file is read by name on every load, and SIGHUP reloads too (the router sends
// it after each write, so a reload never depends on inotify alone).
import { createServer } from 'node:http';
import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { parseArgs } from 'node:util';
import { createGatewayRuntime } from '@graphql-hive/gateway';
import { GraphQLError, execute } from 'graphql';
import { blockFieldSuggestionsPlugin } from '@escape.tech/graphql-armor-block-field-suggestions';
import { costLimitPlugin } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesPlugin } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthPlugin } from '@escape.tech/graphql-armor-max-depth';
import { maxTokensPlugin } from '@escape.tech/graphql-armor-max-tokens';

const { values } = parseArgs({
  options: {
    supergraph: { type: 'string' },
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '0' },
    headers: { type: 'string', default: '' },
    'upstream-timeout-ms': { type: 'string', default: '10000' },
    'max-depth': { type: 'string', default: '10' },
    'max-aliases': { type: 'string', default: '15' },
    'max-tokens': { type: 'string', default: '1000' },
    'max-cost': { type: 'string', default: '5000' },
    introspection: { type: 'boolean', default: false },
    faults: { type: 'string', default: '' },
    fallbacks: { type: 'string', default: '' },
    'fallback-url': { type: 'string', default: '' },
    'fallback-timeout-ms': { type: 'string', default: '1000' },
    'persisted-manifest': { type: 'string', default: '' },
    'persisted-only': { type: 'boolean', default: false },
  },
});
if (!values.supergraph) {
  console.error('serve.mjs: --supergraph PATH is required');
  process.exit(2);
}
const supergraphPath = values.supergraph;
// Only these request headers reach subgraphs (lower-case names): the identity
// headers the gateway sets and the request id. Nothing else a client sends.
const propagated = values.headers.split(',').map((h) => h.trim().toLowerCase()).filter(Boolean);

// The chain of an error and the errors behind it.
function* chain(error) {
  for (let e = error, depth = 0; e && depth < 8; e = e.originalError ?? e.cause, depth += 1) {
    yield e;
  }
}

// Errors a subgraph returned (GraphQL errors all the way down) reach the
// client as they are: our subgraphs write them for clients ("no such
// profile", the stream limit's devices) and mask their own unexpected ones.
// An exception anywhere behind an error (a subgraph that cannot be reached,
// a crash here) is masked: the client learns which subgraph's part of the
// page is missing (Hive names it in extensions.serviceName) and nothing
// more: no addresses, no stack traces.
function maskError(error, message) {
  const errors = [...chain(error)];
  if (errors.every((e) => e instanceof GraphQLError)) return error;
  const name = errors.map((e) => e.extensions?.serviceName).find((n) => typeof n === 'string' && n);
  const path = error?.path;
  if (name) {
    return new GraphQLError(`the ${name} service cannot answer now`, {
      path,
      extensions: { code: 'SUBGRAPH_UNAVAILABLE', serviceName: name },
    });
  }
  return new GraphQLError(message, { path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
}

// Limits checked on the document before any subgraph is asked; each refusal
// names its limit ("Query depth limit of 10 exceeded, found 12"). Without
// --introspection the schema is not handed out, not even as field suggestions.
const limit = (name) => Number(values[name]);
const armor = [
  maxDepthPlugin({ n: limit('max-depth'), exposeLimits: true, flattenFragments: true }),
  maxAliasesPlugin({ n: limit('max-aliases'), exposeLimits: true }),
  maxTokensPlugin({ n: limit('max-tokens'), exposeLimits: true }),
  costLimitPlugin({ maxCost: limit('max-cost'), exposeLimits: true, flattenFragments: true }),
  ...(values.introspection ? [] : [blockFieldSuggestionsPlugin()]),
];


// Faults and fallbacks (src/reelstack/router/fallbacks.py says why). The
// fault rules, by subgraph, come from a file the router rewrites when the
// gateway's rules change; a subgraph named in --fallbacks that fails or
// takes longer than --fallback-timeout-ms gets its part answered from the
// root value the router instance stands in with (its service's cached rows),
// executed against that subgraph's own schema, so the rest of the plan
// (catalog resolving the rows' titles) goes on as if the subgraph had answered.
let faults = {};
async function readFaults() {
  if (!values.faults) return;
  try {
    faults = JSON.parse(await readFile(values.faults, 'utf8'));
  } catch (error) {
    faults = {};
    if (error.code !== 'ENOENT') {
      console.log(JSON.stringify({ level: 'error', msg: `cannot read the fault rules: ${error.message}` }));
    }
  }
}
await readFaults();

const withFallback = new Set(values.fallbacks.split(',').map((s) => s.trim()).filter(Boolean));
const fallbackTimeoutMs = Number(values['fallback-timeout-ms']);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// The fault this fetch gets, if a rule names its subgraph: a delay, then
// maybe an error in the service's place. `abandoned()` is asked after the
// delay: a fetch whose caller already moved on to the fallback is not sent.
async function injectFault(name, abandoned) {
  const rule = faults[name];
  if (!rule || !(rule.pct >= 100 || Math.random() * 100 < rule.pct)) return;
  if (rule.delay_ms > 0) await sleep(rule.delay_ms);
  if (abandoned()) throw new Error(`${name}: abandoned for its fallback`);
  if (rule.abort) throw new Error(`${name} answered ${rule.abort} (an injected fault)`);
}

async function standIn(name, subgraph, request, failure) {
  const headers = { 'content-type': 'application/json' };
  const incoming = request.context?.request?.headers;
  for (const header of propagated) {
    const value = incoming?.get?.(header);
    if (value != null) headers[header] = value;
  }
  const answer = await fetch(`${values['fallback-url']}/${name}`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ failure }),
    signal: AbortSignal.timeout(Math.max(fallbackTimeoutMs, 1000)),
  });
  if (!answer.ok) throw new Error(`its fallback answered HTTP ${answer.status}`);
  const rootValue = await answer.json();
  return execute({
    schema: subgraph,
    document: request.document,
    variableValues: request.variables,
    operationName: request.operationName,
    rootValue,
  });
}

const resilience = {
  onSubgraphExecute({ subgraphName, subgraph, executor, setExecutor }) {
    const fallback = withFallback.has(subgraphName);
    if (!fallback && !faults[subgraphName]) return;
    setExecutor(async (request) => {
      let gaveUp = false;
      const attempt = (async () => {
        await injectFault(subgraphName, () => gaveUp);
        return executor(request);
      })();
      if (!fallback) return attempt;
      let timer;
      const late = new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${fallbackTimeoutMs} ms`)),
          fallbackTimeoutMs,
        );
      });
      let failure;
      try {
        const result = await Promise.race([attempt, late]);
        // An answer without data is a failed fetch (a 5xx, an unreachable
        // service); data with errors is the subgraph's own answer.
        if (result?.data != null || !result?.errors?.length) return result;
        failure = result.errors.map((e) => e.message).join('; ');
      } catch (error) {
        failure = error.message;
      } finally {
        clearTimeout(timer);
      }
      gaveUp = true;
      attempt.catch(() => {}); // its late answer or failure is dropped
      try {
        return await standIn(subgraphName, subgraph, request, failure);
      } catch (error) {
        throw new Error(`${subgraphName}: ${failure}; ${error.message}`);
      }
    });
  },
};
// Persisted documents (trusted documents): the web app's operations by the
// SHA-256 hex of their text, from the manifest the router writes at its start
// (reelstack.router.persisted). A body names one as {"documentId":
// "sha256:H"} or Apollo's extensions.persistedQuery.sha256Hash; an unknown
// hash is a GraphQL error naming it. With --persisted-only a document sent as
// text is refused: only the manifest's operations run.
async function persistedDocuments(path, only) {
  const manifest = new Map(Object.entries(JSON.parse(await readFile(path, 'utf8'))));
  const asked = new WeakMap();
  const hash = (key) => (key.startsWith('sha256:') ? key.slice('sha256:'.length) : key);
  const shown = (key) => JSON.stringify(key.length > 80 ? `${key.slice(0, 80)}...` : key);
  return {
    allowArbitraryDocuments: !only,
    getPersistedOperation(key, request) {
      asked.set(request, key);
      return manifest.get(hash(key)) ?? null;
    },
    customErrors: {
      notFound: ({ request }) =>
        new GraphQLError(`persisted document ${shown(asked.get(request) ?? '')} is not known`, {
          extensions: { code: 'PERSISTED_QUERY_NOT_FOUND' },
        }),
      keyNotFound: () =>
        new GraphQLError('send a query, or a persisted document as documentId "sha256:<hash>"', {
          extensions: { code: 'PERSISTED_QUERY_ID_REQUIRED' },
        }),
      persistedQueryOnly: () =>
        new GraphQLError('only persisted documents run here: send documentId "sha256:<hash>"', {
          extensions: { code: 'PERSISTED_QUERY_ONLY' },
        }),
    },
  };
}
const persisted = values['persisted-manifest']
  ? await persistedDocuments(values['persisted-manifest'], values['persisted-only'])
  : undefined;

const gateway = createGatewayRuntime({
  maskedErrors: { maskError },
  plugins: () => [...armor, resilience],
  ...(values.introspection ? {} : { disableIntrospection: { disableIf: () => true } }),
  ...(persisted ? { persistedDocuments: persisted } : {}),
  supergraph: () => readFile(supergraphPath, 'utf8'),
  graphqlEndpoint: '/graphql',
  healthCheckEndpoint: '/healthcheck',
  readinessCheckEndpoint: '/readiness',
  landingPage: false,
  graphiql: false,
  upstreamTimeout: Number(values['upstream-timeout-ms']),
  propagateHeaders: {
    fromClientToSubgraphs({ request }) {
      const out = {};
      for (const name of propagated) {
        const value = request.headers.get(name);
        if (value != null) out[name] = value;
      }
      return out;
    },
  },
});

function reload(why) {
  console.log(JSON.stringify({ level: 'info', msg: `supergraph reload: ${why}`, path: supergraphPath }));
  gateway.invalidateUnifiedGraph();
}

const folder = dirname(supergraphPath);
const name = basename(supergraphPath);
const faultsName = values.faults ? basename(values.faults) : null;
watch(folder, (event, filename) => {
  if (filename === name) reload(`${event} in ${folder}`);
  if (faultsName && filename === faultsName) readFaults();
});
process.on('SIGHUP', () => {
  readFaults();
  reload('SIGHUP');
});
// The fault rules alone changed: read them, keep the composed graph.
process.on('SIGUSR2', () => readFaults());

const server = createServer(gateway);
// The router service's pooled connections (aiohttp: idle ones kept 15 s) must
// be closed by it, never under it: with Node's default 5 s, a request sent on
// a connection Node was closing was reset (a 503 "connection reset by peer"
// after any pause of 5 to 15 s). Idle connections here outlive the pool's.
server.keepAliveTimeout = 30_000;
server.headersTimeout = 31_000;
function stop(signal) {
  server.close(() => process.exit(0));
  // Keep-alive connections would hold close() open; the router gives us a grace period anyway.
  server.closeAllConnections?.();
  setTimeout(() => process.exit(0), 2000).unref();
  console.log(JSON.stringify({ level: 'info', msg: `stopping on ${signal}` }));
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));

server.listen(Number(values.port), values.host, () => {
  const { address, port } = server.address();
  // The router reads this line to learn the port (0 picks a free one).
  console.log(JSON.stringify({ level: 'info', msg: 'listening', host: address, port }));
});
