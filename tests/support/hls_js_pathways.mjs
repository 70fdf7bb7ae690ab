// Parse a master playlist (stdin) with the web app's hls.js and print what it made of it:
// its pathways (redundant variant streams), levels and audio tracks, as JSON.
// Usage: node hls_js_pathways.mjs HLS_MJS_PATH < master.m3u8
// Node has no window, location or MediaSource: the few hls.js reads before parsing
// are stood in for; nothing is played.
import fs from 'node:fs';

const text = fs.readFileSync(0, 'utf8');
globalThis.self = globalThis;
globalThis.window = globalThis;
globalThis.location = { href: 'http://playback.example/' };
globalThis.MediaSource = class { static isTypeSupported() { return true; } };
globalThis.SourceBuffer = class {};
const { default: Hls } = await import(process.argv[2]);

class PlaylistLoader {
  constructor() {
    const span = { start: 0, first: 0, end: 0 };
    this.stats = { aborted: false, loaded: 0, retry: 0, total: 0, chunkCount: 0, bwEstimate: 0,
      loading: { ...span }, parsing: { start: 0, end: 0 }, buffering: { ...span } };
  }
  load(context, _config, callbacks) {
    const now = performance.now();
    this.stats.loading = { start: now, first: now, end: now };
    this.stats.loaded = this.stats.total = text.length;
    callbacks.onSuccess({ url: context.url, data: text }, this.stats, context, null);
  }
  abort() {}
  destroy() {}
}

const hls = new Hls({ pLoader: PlaylistLoader, loader: PlaylistLoader });
hls.on(Hls.Events.MANIFEST_PARSED, (_event, data) => {
  console.log(JSON.stringify({
    pathways: hls.pathways,
    levels: data.levels.map((l) => ({ bitrate: l.bitrate, pathway: l.pathwayId, url: l.uri })),
    audio: data.audioTracks.map((t) => ({ group: t.groupId, url: t.url })),
  }));
  process.exit(0);
});
hls.on(Hls.Events.ERROR, (_event, data) => {
  if (data.fatal) {
    console.error(`hls.js: ${data.details}`);
    process.exit(1);
  }
});
hls.loadSource('http://playback.example/master.m3u8');
