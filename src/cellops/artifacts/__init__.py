"""Values between stages: the serializer registry, the stores, the kernel side (save/load)."""
