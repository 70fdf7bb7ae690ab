// Key requests of encrypted titles carry the viewer's token; nothing else does.

export const KEY_PATH = '/api/playback/keys/'

/**
 * The hls.js `xhrSetup` that sends the viewer's token with key requests (the
 * playlists of an encrypted title name `/api/playback/keys/<id>`, served only
 * to a live play) and with nothing else: the media URLs are signed already.
 */
export function keyRequestSetup(
  accessToken: string | null,
  base: string,
): (xhr: Pick<XMLHttpRequest, 'setRequestHeader'>, url: string) => void {
  return (xhr, url) => {
    if (!accessToken) return
    const target = new URL(url, base)
    if (target.origin === new URL(base).origin && target.pathname.startsWith(KEY_PATH)) {
      xhr.setRequestHeader('Authorization', `Bearer ${accessToken}`)
    }
  }
}
