"""The fictional demo data that ``python manage.py seed_demo`` loads, one module per app whose
rows it writes."""
