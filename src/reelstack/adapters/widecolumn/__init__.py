"""WideColumnStore adapters: SQLite (embedded) and, as an extra, Cassandra."""
