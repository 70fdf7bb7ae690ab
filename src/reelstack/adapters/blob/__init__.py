"""BlobStore adapters: a local folder (embedded) and, as an extra, S3."""
