"""Pure decisions with no I/O: old state + new data → a plan that storage applies.

- items.py: is each fetched item new, changed or the same as the stored one?
- evidence.py: for one batch of match results, which evidence to add, refresh, merge into or drop?
- deliveries.py: does a subscriber get a digest now, for which window, as a new delivery or a retry?

Frozen dataclasses (or Protocols) in, frozen dataclasses out: no database, network, clock or screen, and nothing
imported from storage, sources, match or cli, so each is tested as a table of cases.
"""
