"""Web pages of mediation (DESIGN §6), one module per audience:

* ``patient`` — the public request form, its confirmation, and the status page reached with the
  case's secret link (accept or decline an offer, withdraw);
* ``mediator`` — the insurer's staff: the mediators' work queue, case page (matches, offers,
  notes, closing) and phone intake, and the insurer admin's mediation settings;
* ``receiving`` — the receiving provider's planners: incoming patients and their appointments;
* ``outcomes`` — the insurer's outcomes dashboard (aggregates only);
* ``reasons`` and ``audit`` — what more than one page shares: matching reasons in the reader's
  language, and the audit of a list that shows patients' data.

The views collect input and show results; the rules are the services' (``mediation.services``),
whose errors are shown next to the fields they name. Objects are looked up through
``mediation.permissions`` (404 for what is not yours). Every staff page that shows a patient's data
writes an audit event (NEN 7513); changes are audited by the services themselves.
"""
