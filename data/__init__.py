"""claimwatch: data."""
