"""Turn reports into what the user reads: rich text, or the versioned JSON document."""
