"""Executing a pipeline package: parameters, cache, warm kernels, stage execution, records."""
