"""File formats at the edge: readers return typed records, writers take typed results."""
