import { describe, expect, it } from 'vitest'
import type { DetailedError, HttpResponse } from 'tus-js-client'
import { uploadProblem } from './upload.ts'

function refusedWith(status: number, body: string): DetailedError {
  const response: HttpResponse = {
    getStatus: () => status,
    getHeader: () => undefined,
    getBody: () => body,
    getUnderlyingObject: () => null,
  }
  return Object.assign(new Error('tus: unexpected response'), {
    originalRequest: null as never,
    originalResponse: response,
    causingError: null,
  })
}

describe('uploadProblem', () => {
  it("shows the server's reason for a refused upload", () => {
    const quota = refusedWith(413, JSON.stringify({ error: 'TooLarge', detail: 'larger than 2 GiB' }))
    expect(uploadProblem(quota)).toBe('The upload was refused: larger than 2 GiB')
    expect(uploadProblem(refusedWith(502, '<html>bad gateway</html>'))).toBe(
      'The upload was refused: the server answered HTTP 502',
    )
  })

  it('says the service cannot be reached when nothing answered', () => {
    expect(uploadProblem(new Error('network'))).toContain('cannot be reached')
  })
})
