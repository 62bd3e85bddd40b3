"""Layer builders: each turns the twin's models into one published layer (3D Tiles or quantized-mesh)."""
