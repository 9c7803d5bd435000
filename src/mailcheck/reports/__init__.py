"""DMARC aggregate and failure reports and SMTP TLS reports: unpacked, read, judged.

``containers`` turns one source (a file, a message of an mbox) into the documents it
carries; ``aggregate``, ``failure`` and ``tlsrpt`` read one document each into typed
values; ``judge`` turns those into checks; ``summary`` folds every document of a run
into the tables ``--summary`` and ``--format html`` show.
"""
