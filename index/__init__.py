"""Everything that turns files into a Lintas index on disk."""
