"""Public reference data: specialisms, treatments, ROAZ regions, Treeknormen and providers with
their locations (the public lists of the API), and the stamp that tells the public search when
any of them changed."""
