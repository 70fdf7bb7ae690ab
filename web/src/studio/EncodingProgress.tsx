import type { Job } from './api.ts'

const STEPS = ['queued', 'probing', 'planning', 'encoding', 'packaging', 'published']

/** The job's steps (done, current, to come) and each chunk's state. */
export function EncodingProgress({ job }: { job: Job }) {
  const step = job.step ?? job.state
  const at = STEPS.indexOf(step)
  return (
    <section className="studio-card" aria-labelledby="encoding-heading" data-testid="encoding">
      <h2 id="encoding-heading">Encoding</h2>
      <ol className="steps">
        {STEPS.map((name, index) => {
          const state =
            step === 'failed' ? 'failed' : index < at || step === 'published' ? 'done' : index === at ? 'current' : 'todo'
          return (
            <li key={name} data-state={state} aria-current={index === at ? 'step' : undefined}>
              {name}
            </li>
          )
        })}
      </ol>
      <progress max={100} value={Math.round(job.progress * 100)} aria-label="Encoding progress" />
      <span> {Math.round(job.progress * 100)}%</span>
      {job.reason && (
        <p role="alert" className="studio-error">
          {job.reason}
        </p>
      )}
      {job.parts.length > 0 && (
        <>
          <h3>
            Chunks: {job.parts_done} of {job.parts_total} done
          </h3>
          <ul className="chunks" aria-label="Chunks">
            {job.parts.map((p) => (
              <li key={p.part} data-state={p.state} title={`${p.part}: ${p.state}, ${p.attempts} attempt(s)`}>
                {p.part} <small>{p.state}</small>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  )
}
