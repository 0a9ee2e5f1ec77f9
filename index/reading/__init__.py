"""Reading files into clean, dated, language-tagged documents with ids, and the words of a text
(analysis.py: tokens, stopwords, stemmers, Whoosh analyzers); imports only index.errors."""
