"""Kafka to Parquet sink: a consumer group writing the events topic into the lake.

Data flow: ``service`` consumes -> ``batch`` holds records per partition ->
``schema`` turns them into Arrow rows (bad records become dead letters) ->
``writer`` writes one file per hour atomically -> ``commit`` commits the
offsets. ``recover`` plans the batch boundaries of a re-run, ``compact``
merges small files, ``layout`` names files and folders.

What the sink guarantees:

- **No loss.** Offsets are committed only after every file holding their
  records is fsynced and renamed into place (and the folder synced), and after
  dead letters for rejected records are acknowledged by Kafka. A crash at any
  point leaves the uncommitted records to be read again.
- **No duplicates from re-runs.** A file's name carries topic, partition and
  the batch's first..last offset. A re-run after a crash or a rebalance cuts
  its batches exactly where the existing files say and rewrites those same
  files, so it replaces rather than adds rows.
- **Readers never see a partial file.** Files appear by rename only; temporary
  files are hidden (``.name.pid.tmp``) and never match ``*.parquet``.
- **Compaction neither loses nor duplicates rows** (see ``compact``).

What it does not guarantee:

- **Uniqueness of events.** Delivery is at least once end to end: the bridge
  may produce an event twice (an MQTT redelivery after a crash), and two
  sinks racing over a rebalanced partition, or a consumer group reset after
  compaction, may write overlapping files. The twin keeps one row per
  event (``cloud.twin.columns.KEY``).
- **Order across partitions or files.** Rows within a file are in capture
  time order (``ts``, ties in offset order), in row groups of
  ``writer.ROW_GROUP_ROWS``, so a reader of part of an hour opens only the
  row groups of that part; the offsets a file holds are in its name.
- **Freshness.** A record becomes visible within ``batch_max_wait_s`` of being
  read while the sink keeps up; the throughput line reports how far behind it is.
"""
