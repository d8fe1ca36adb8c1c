"""Domain types, errors, configuration and the pure diff: imports nothing else of ours."""
