import type { HlsPlayback } from '../engine/useHlsPlayback.ts'

function rungLabel(height: number, bitrate: number): string {
  const kbps = Math.round(bitrate / 1000)
  return height > 0 ? `${height}p (${kbps} kb/s)` : `${kbps} kb/s`
}

/** The quality, audio and subtitles menus, from the tracks hls.js found. */
export function Menus({ playback }: { playback: HlsPlayback }) {
  const { rungs, chosenRung, playingRung, audioTracks, subtitleTracks } = playback
  const playing = rungs?.[playingRung]
  return (
    <div className="player-menus">
      {rungs && rungs.length > 0 && (
        <label>
          Quality
          <select
            value={chosenRung}
            onChange={(event) => playback.chooseRung(Number(event.target.value))}
          >
            <option value={-1}>
              Auto{chosenRung === -1 && playing ? ` (${rungLabel(playing.height, playing.bitrate)})` : ''}
            </option>
            {rungs.map((rung) => (
              <option key={rung.index} value={rung.index}>
                {rungLabel(rung.height, rung.bitrate)}
              </option>
            ))}
          </select>
        </label>
      )}
      {audioTracks.length > 1 && (
        <label>
          Audio
          <select
            value={playback.audioTrack}
            onChange={(event) => playback.chooseAudio(Number(event.target.value))}
          >
            {audioTracks.map((track) => (
              <option key={track.index} value={track.index}>
                {track.label}
              </option>
            ))}
          </select>
        </label>
      )}
      {subtitleTracks.length > 0 && (
        <label>
          Subtitles
          <select
            value={playback.subtitleTrack}
            onChange={(event) => playback.chooseSubtitles(Number(event.target.value))}
          >
            <option value={-1}>Off</option>
            {subtitleTracks.map((track) => (
              <option key={track.index} value={track.index}>
                {track.label}
              </option>
            ))}
          </select>
        </label>
      )}
    </div>
  )
}
