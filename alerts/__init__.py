"""claimwatch: alerts."""
