"""Everything that answers a query from a Lintas index on disk."""
