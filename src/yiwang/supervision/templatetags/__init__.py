"""Template tags of supervision (each part its own library)."""
