"""A pipeline package: its layout, spec, stage graph, lock and Dockerfile, and promote."""
