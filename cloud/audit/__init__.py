"""The tamper-evident audit log: who read the twin, what changed, what was deleted.

``chain`` is the hash-chained log itself (torn tails repaired on open and append),
``writeahead`` records actions before they run, ``anchor``, ``anchor_kafka`` and
``anchoring`` keep the log's head where its writer cannot rewrite it alone, and
``cli`` is ``citytwin audit``.
"""
