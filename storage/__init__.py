"""claimwatch: storage."""
