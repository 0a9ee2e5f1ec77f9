"""Files in, an index on disk out, in three rooms: reading/ (files to clean documents), embedding/
(text to vectors) and storage/ (the index on disk, which uses the other two). errors.py and
cache.py (where what is made once per machine is kept) are shared by all; nothing here imports search/."""
