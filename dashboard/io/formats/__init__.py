"""Input formats: each module turns one kind of CSV into canonical record rows and registers itself."""
