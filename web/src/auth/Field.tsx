// A labelled input with its error announced and tied to it.

import { useId, type InputHTMLAttributes } from 'react'

export interface FieldProps extends InputHTMLAttributes<HTMLInputElement> {
  label: string
  error?: string | null
}

export function Field({ label, error, ...input }: FieldProps) {
  const id = useId()
  return (
    <label>
      <span>{label}</span>
      <input {...input} aria-invalid={error ? true : undefined} aria-describedby={error ? id : undefined} />
      {error && (
        <span id={id} className="field-error">
          {error}
        </span>
      )}
    </label>
  )
}
