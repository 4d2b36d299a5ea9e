"""Population scale: the policy as one exact SQL query (:mod:`.emit`) and the DuckDB engine that runs it
(:mod:`.engine`)."""
