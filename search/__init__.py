"""Answering a query from an index on disk: reader, language, keyword and semantic legs, fusion,
confidence, snippets, stories, articles. serving/ is what puts it before people and programs;
imports index/, never the reverse."""
