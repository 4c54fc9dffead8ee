"""The public waiting-time search (page and API): the current figure of every series, near a
postcode, over the reference data each process keeps in memory."""
