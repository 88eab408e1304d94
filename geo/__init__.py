"""Offline geography for Ukraine: first-level units, a small settlement gazetteer, boundaries."""
