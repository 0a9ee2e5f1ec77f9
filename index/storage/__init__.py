"""The index on disk: generations, the document table, vectors, the Whoosh keyword index, story
links and language balance, and the builder that writes them; imports reading/ and embedding/."""
