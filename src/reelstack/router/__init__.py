"""The federation router: composes the services' subgraphs and serves them through Hive Gateway."""
