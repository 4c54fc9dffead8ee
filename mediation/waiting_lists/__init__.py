"""Consented waiting lists, the proactive scan and invitations (DESIGN §3.6, issue 15)."""
