"""Query and mutation logic. Nothing here imports Strawberry: it works on models and plain values."""
