"""Sources: fetching (fetch.py) and the adapters that turn bytes into items (rss, federal_register, html).

Nothing here stores anything or knows about milestones.
"""
