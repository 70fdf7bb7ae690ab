// The tus upload of a source file. tus-js-client keeps each upload's URL in
// localStorage under the file's fingerprint, so after a reload (or a lost
// connection) choosing the same file again resumes where the server stopped.

import { Upload, type DetailedError, type PreviousUpload } from 'tus-js-client'
import { refreshSession } from '../api/session.ts'
import { sessionStore } from '../session/store.ts'
import { reasonOf } from '../roles/rest.ts'

export const UPLOADS = '/api/media/uploads'
const TITLE_HEADER = 'Reelstack-Title-Id'
const CHUNK_BYTES = 8 * 1024 * 1024

/** The metadata media reads from Upload-Metadata (see media's ingest). */
export interface UploadMeta {
  title: string
  synopsis: string
  maturity_rating: string
  genres: string
}

export interface UploadEvents {
  onProgress: (sent: number, total: number) => void
  onTitle: (titleId: string) => void
  onError: (message: string) => void
  onSuccess: () => void
}

// One refresh at a time however many requests find the token expired.
let refreshing: Promise<void> | null = null

function refreshOnce(): Promise<void> {
  const session = sessionStore().get()
  if (!session) return Promise.resolve()
  refreshing ??= refreshSession(session)
    .then((fresh) => sessionStore().set(fresh))
    .catch(() => undefined)
    .finally(() => {
      refreshing = null
    })
  return refreshing
}

/** The server's reason for refusing an upload, in words. */
export function uploadProblem(error: Error | DetailedError): string {
  const response = 'originalResponse' in error ? error.originalResponse : null
  if (!response) return 'The upload stopped: the service cannot be reached. Retry to resume it.'
  const status = response.getStatus()
  let body: unknown = null
  try {
    body = JSON.parse(response.getBody())
  } catch {
    // Not JSON: the status says enough.
  }
  return `The upload was refused: ${reasonOf(body, status)}`
}

/** Make an upload of `file`; call `start()` (or resume one of `previous` first). */
export function makeUpload(file: File, meta: UploadMeta, events: UploadEvents): Upload {
  const metadata: Record<string, string> = { filename: file.name, filetype: file.type }
  for (const [key, value] of Object.entries(meta)) {
    if (value.trim()) metadata[key] = value.trim()
  }
  return new Upload(file, {
    endpoint: UPLOADS,
    metadata,
    chunkSize: CHUNK_BYTES,
    retryDelays: [0, 1000, 3000, 5000, 10000],
    storeFingerprintForResuming: true,
    removeFingerprintOnSuccess: true,
    async onBeforeRequest(req) {
      if (refreshing) await refreshing
      const session = sessionStore().get()
      if (session) req.setHeader('Authorization', `Bearer ${session.accessToken}`)
    },
    onAfterResponse(_req, res) {
      const titleId = res.getHeader(TITLE_HEADER)
      if (titleId) events.onTitle(titleId)
    },
    onShouldRetry(error, attempt) {
      const status = error.originalResponse?.getStatus() ?? 0
      if (status === 401 && attempt < 2) {
        void refreshOnce()
        return true
      }
      // A refusal (quota, bad metadata, too large) will not change by retrying.
      return status === 0 || status === 409 || status === 423 || status >= 500
    },
    onProgress: events.onProgress,
    onError: (error) => events.onError(uploadProblem(error)),
    onSuccess: () => events.onSuccess(),
  })
}

/** Uploads of this file that were started and not finished (newest first). */
export async function unfinished(upload: Upload): Promise<PreviousUpload[]> {
  const found = await upload.findPreviousUploads()
  return [...found].sort((a, b) => b.creationTime.localeCompare(a.creationTime))
}
