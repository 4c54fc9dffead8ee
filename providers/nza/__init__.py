"""The national NZa waiting-time data (issue 14; DESIGN §3.8): reading the file, mapping it onto
providers, locations and the treatment catalogue, importing it."""
