"""Getting papers in: files (read, recognise, batch), merge (normalise, deduplicate, upsert, fingerprints), fetch (one entry point per source, for the CLI and the scheduler alike)."""
