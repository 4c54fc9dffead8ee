"""Access to one mediation object (DESIGN §5): one ``access_<thing>_for`` helper per object type,
used by the API and the web pages alike.

Each returns the object or raises ``Http404``; an object that is not the caller's is answered
exactly like a missing one, so the existence of another insurer's case or another provider's
patient is never revealed.

* a case, for staff: only the mediators of its insurer (an insurer's API key acts as mediator);
* a case, for the patient: its reference with its secret access token, never while anonymised;
* an offer, for the patient: only an offer of the patient's own case;
* an offer, for staff: only an offer of a case the staff actor may see;
* an offer, for the receiving provider: only an accepted offer at one of the planner's own
  locations that is still on the incoming list.

Which roles may work cases or receive patients at all (403 otherwise) is the role constants of
``mediation.selectors.cases``; the lists these helpers look in are its scoped selectors.

A staff actor's refused lookup is a ``denied`` event in the audit trail (NEN 7513), with the
reference or id asked for exactly as given, not what it may belong to; a missing and a foreign
object are recorded alike, so the trail's insert tells nothing either. ``request`` gives the
event its "from where" (``None`` outside a request). A patient's wrong token is not recorded:
it is no staff access, and an anonymous caller must not be able to fill the append-only trail.
"""

from __future__ import annotations

import hmac
from typing import Any

from django.http import Http404
from django.utils import timezone

from accounts.actors import Actor
from accounts.permissions import get_object_or_404_for
from accounts.services import audit_refusal
from mediation.models import Case, Offer
from mediation.selectors.cases import case_list_for, incoming_offer_list_for
from mediation.services.cases import access_token_digest


def access_case_for(*, actor: Actor, reference: str, request: Any) -> Case:
    """One of the actor's cases by reference; 404 (and a ``denied`` event) when missing or not
    the actor's."""
    reference = (reference or "").upper()
    try:
        return get_object_or_404_for(case_list_for(actor=actor), reference=reference)
    except Http404:
        audit_refusal(
            actor=actor,
            request=request,
            object_type=Case._meta.label_lower,
            case_reference=reference,
        )
        raise


def access_patient_case_for(*, reference: str, token: str) -> Case:
    """The patient's own case: ``reference`` with its secret ``token`` (DESIGN §8
    ``X-Access-Token``, or the status-page link). A wrong token, an unknown reference and an
    anonymised case are all 404, alike."""
    if not reference or not token or len(token) > 200 or len(reference) > 20:
        raise Http404
    case = (
        Case.objects.select_related("specialism", "treatment", "current_location", "insurer")
        .filter(reference=reference.strip().upper(), anonymised_at__isnull=True)
        .first()
    )
    # Compared in constant time; the digest is computed also when the case is missing.
    digest = access_token_digest(token)
    if case is None or not hmac.compare_digest(case.access_token_hash, digest):
        raise Http404
    return case


def access_patient_offer_for(*, case: Case, pk: int) -> Offer:
    """An offer of the patient's own ``case`` (from :func:`access_patient_case_for`); 404 for an
    offer of any other case."""
    return get_object_or_404_for(case.offers.select_related("location"), pk=pk)


def access_incoming_offer_for(*, actor: Actor, pk: int, request: Any) -> Offer:
    """An offer on the planner's incoming list (accepted, at one of the provider's own
    locations); 404 (and a ``denied`` event naming only the id asked for) for any other."""
    try:
        return get_object_or_404_for(
            incoming_offer_list_for(actor=actor, today=timezone.localdate()), pk=pk
        )
    except Http404:
        audit_refusal(
            actor=actor, request=request, object_type=Offer._meta.label_lower, object_id=str(pk)
        )
        raise


def access_case_offer_for(*, actor: Actor, case: Case, pk: int, request: Any) -> Offer:
    """An offer of ``case`` (itself from :func:`access_case_for`); 404 (and a ``denied`` event
    naming the id asked for) for an offer of any other case."""
    try:
        return get_object_or_404_for(case.offers.select_related("location"), pk=pk)
    except Http404:
        audit_refusal(
            actor=actor,
            request=request,
            object_type=Offer._meta.label_lower,
            object_id=str(pk),
            case_reference=case.reference,
        )
        raise
