// Compose subgraph SDLs into a supergraph with @theguild/federation-composition.
//
// Input on stdin: {"subgraphs": [{"name": "...", "url": "...", "sdl": "..."}]}.
// Output on stdout, one JSON document:
//   {"supergraph": "<SDL>"} on success, or
//   {"errors": [{"message": "...", "code": "...", "subgraphs": ["a", "b"]}]}.
// Exit status 0 either way: a composition error is an answer, not a crash.
// The Python side (reelstack.router.compose) decides what to do with it.
import { composeServices } from '@theguild/federation-composition';
import { parse } from 'graphql';

function subgraphsNamed(message, names) {
  // Composition messages name subgraphs in double quotes ('subgraph "a"',
  // 'subgraphs "a" and "b"') or as a leading "[a] "; keep only names we sent.
  const quoted = [...message.matchAll(/"([^"]+)"/g)].map((m) => m[1]);
  const prefix = message.match(/^\[([^\]]+)\]/);
  if (prefix) quoted.push(prefix[1]);
  return [...new Set(quoted.filter((q) => names.has(q)))];
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8');
}

const input = JSON.parse(await readStdin());
const names = new Set(input.subgraphs.map((s) => s.name));
const services = [];
const errors = [];
for (const s of input.subgraphs) {
  try {
    services.push({ name: s.name, url: s.url, typeDefs: parse(s.sdl) });
  } catch (err) {
    errors.push({ message: `SDL does not parse: ${err.message}`, code: 'INVALID_SDL', subgraphs: [s.name] });
  }
}
let out;
if (errors.length > 0) {
  out = { errors };
} else {
  const result = composeServices(services);
  if (result.errors && result.errors.length > 0) {
    out = {
      errors: result.errors.map((e) => ({
        message: e.message,
        code: e.extensions?.code ?? '',
        subgraphs: subgraphsNamed(e.message, names),
      })),
    };
  } else {
    out = { supergraph: result.supergraphSdl };
  }
}
process.stdout.write(JSON.stringify(out));
