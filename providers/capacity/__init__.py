"""Capacity offers (free slots per location and week for mediated patients) and a location's
scale-down status: the accepted urgency classes (DESIGN §3.2, §3.3)."""
