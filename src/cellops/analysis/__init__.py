"""Pure static analysis of cell code: names defined, used and mutated, imports, digests.

Nothing here imports another part of cellops: the analysis of a cell is a function of its code.
"""
