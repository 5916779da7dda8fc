"""File formats at the edge: readers return typed records and FILE:LINE problems."""
