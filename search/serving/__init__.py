"""What serves the query path: the web page and JSON API (server.py, templates/), the JSONL export
and `lintas eval` (evaluation.py, metrics.py); imports search/ and index/, which never import it."""
