"""Video sources: recorded files, network streams and local cameras."""
