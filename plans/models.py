"""Plannen Inhaalzorg (DESIGN §3.4). Filled by the catch-up plans issue."""
