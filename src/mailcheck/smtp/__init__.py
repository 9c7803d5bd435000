"""SMTP without sending mail: a client session, TLS inspection and reply decoding.

- ``mailcheck.smtp.session``: ``SmtpSession``, an async client that keeps a timed
  transcript (connect, EHLO/HELO, STARTTLS, MAIL, RCPT, RSET, QUIT; never DATA).
- ``mailcheck.smtp.tls``: ``TlsInfo`` and the certificate inspection behind STARTTLS.
- ``mailcheck.smtp.codes``: ``Reply``, RFC 3463 enhanced status codes, classification.
- ``mailcheck.smtp.probe``: the ``mailcheck probe`` walk over MX hosts, as data.
- ``mailcheck.smtp.findings``: that data as checks and a verdict.
- ``mailcheck.smtp.helo`` and ``mailcheck.smtp.providers``: the HELO name check and
  the caveats of known receivers.
"""
