"""claimwatch: sources."""
