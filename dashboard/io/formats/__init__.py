"""Input formats: each turns one CSV file into canonical record rows, line by line."""
