"""Notebooks as cellops reads them: cells with stable ids, tags, stage options, diagnostics."""
