"""Pure, bounded analytics on tracks: counting lines, zones and interval counts."""
