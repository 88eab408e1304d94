"""Humanitarian infrastructure-impact dashboard: records, store, query core, map and page."""
