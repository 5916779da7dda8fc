"""File formats at the edge: readers return typed records and problems; writers take results."""
