"""Postcode geography: Dutch postcodes, the PC4 areas and their points, great-circle distances,
the GeoNames import and the ROAZ region of a place."""
