"""claimwatch: extractors."""
