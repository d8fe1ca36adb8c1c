"""claimwatch: flows."""
