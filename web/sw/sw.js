// The app shell's service worker: the built HTML, scripts and styles are kept
// so the app opens on a flaky connection and installs as a PWA. Nothing else
// is ever cached here: not the APIs (/api, /graphql), not media or the edges'
// segments (other origins, or /media), which must always be fresh and
// authorised. The build fills in the file list and version.

const SHELL = self.__SHELL__
const CACHE = `reelstack-shell-${self.__VERSION__}`
const NEVER = ['/api/', '/graphql', '/media/', '/health', '/metrics']

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)))
})

self.addEventListener('activate', (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((names) =>
        Promise.all(names.filter((n) => n.startsWith('reelstack-shell-') && n !== CACHE).map((n) => caches.delete(n))),
      )
      .then(() => self.clients.claim()),
  )
})

self.addEventListener('fetch', (event) => {
  const request = event.request
  const url = new URL(request.url)
  if (request.method !== 'GET' || url.origin !== self.location.origin) return
  if (NEVER.some((prefix) => url.pathname.startsWith(prefix))) return
  if (request.mode === 'navigate') {
    // The page from the network (a deploy shows at once); the cached shell offline.
    event.respondWith(fetch(request).catch(() => caches.match('/').then((r) => r || Response.error())))
    return
  }
  if (SHELL.includes(url.pathname)) {
    event.respondWith(caches.match(request).then((cached) => cached || fetch(request)))
  }
})
