"""Reference data: ROAZ regions, providers and their locations, specialisms, treatments, the
Treeknormen, and the PC4 postcode geography; waiting-time series and reports, capacity offers.

One module of about 600 lines on purpose: the app's subjects live in sub-packages
(``providers/waiting_times/``, ``capacity/``, ``search/`` …), but their models stay here, where
the migrations and every other app's foreign keys (``"providers.Location"``) expect them.
"""

from __future__ import annotations

from datetime import datetime

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.history import history_user

AGB_PATTERN = r"^\d{8}$"
AGB_VALIDATOR = RegexValidator(AGB_PATTERN, _("An AGB code has exactly 8 digits."))
URGENCY_CLASSES = (1, 2, 3, 4, 5)
# The classes insurers steer: mediation requests and catch-up plan lines (DESIGN §3.2, §3.4);
# 1 and 2 are acute care, organised regionally.
MEDIATED_URGENCY_CLASSES = (3, 4, 5)
# Waits above three years are not plausible; they are refused as input errors.
MAX_PLAUSIBLE_WAIT_DAYS = 3 * 365


# A treatment is named exactly when the kind is ``treatment`` (series and capacity offers alike).
TREATMENT_ONLY_FOR_TREATMENT_KIND = (Q(kind="treatment") & Q(treatment__isnull=False)) | (
    ~Q(kind="treatment") & Q(treatment__isnull=True)
)


def all_urgency_classes() -> list[int]:
    return list(URGENCY_CLASSES)


SPECIALISM_CODE_VALIDATOR = RegexValidator(
    r"^\d{4}$", _("A Vektis COD016 code has exactly 4 digits (keep the leading zero).")
)


class Region(models.Model):
    """A ROAZ region (regional acute-care network), used to group providers in reports."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=200)
    neighbours = models.ManyToManyField(
        "self", verbose_name=_("neighbouring regions"), blank=True, symmetrical=True
    )

    class Meta:
        verbose_name = _("ROAZ region")
        verbose_name_plural = _("ROAZ regions")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProviderKind(models.TextChoices):
    UMC = "umc", _("Academic hospital (UMC)")
    HOSPITAL = "hospital", _("Hospital")
    ZBC = "zbc", _("Independent treatment centre (ZBC)")


class Provider(models.Model):
    """A zorgaanbieder, identified by its AGB code."""

    agb_code = models.CharField(
        _("AGB code"), max_length=8, unique=True, validators=[AGB_VALIDATOR]
    )
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=16, choices=ProviderKind.choices)
    region = models.ForeignKey(
        Region, verbose_name=_("ROAZ region"), on_delete=models.PROTECT, related_name="providers"
    )
    is_demo = models.BooleanField(_("demo data"), default=False)
    kvk_number = models.CharField(_("KvK number"), max_length=8, blank=True)
    # The peildatum of the national NZa data that last set the fields above (None: never set from
    # it); an older national file does not overwrite them (providers.nza).
    nza_reference_date = models.DateField(_("NZa data of"), null=True, blank=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("provider")
        verbose_name_plural = _("providers")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.agb_code})"


class Location(models.Model):
    """A vestiging of a provider. Waiting times are reported per location."""

    provider = models.ForeignKey(
        Provider, verbose_name=_("provider"), on_delete=models.PROTECT, related_name="locations"
    )
    code = models.CharField(
        _("location code"), max_length=8, unique=True, validators=[AGB_VALIDATOR]
    )
    name = models.CharField(_("name"), max_length=200)
    street = models.CharField(_("street and number"), max_length=200, blank=True)
    # Normalised PC6 without space, e.g. "3511AB"; see providers.geography.postcodes.
    postcode = models.CharField(_("postcode"), max_length=6)
    city = models.CharField(_("city"), max_length=100)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=6)
    is_active = models.BooleanField(_("active"), default=True)
    # Scale-down status: the urgency classes this location currently accepts (e.g. only 1–3 while
    # it scales down); matching and search respect it (DESIGN §3.2).
    accepted_urgency_classes = models.JSONField(
        _("accepted urgency classes"), default=all_urgency_classes
    )
    # As Provider.nza_reference_date: the peildatum of the NZa data that last set the fields.
    nza_reference_date = models.DateField(_("NZa data of"), null=True, blank=True)
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("location")
        verbose_name_plural = _("locations")
        ordering = ["provider__name", "name"]
        constraints = [
            models.CheckConstraint(
                name="location_inside_netherlands",
                condition=Q(latitude__gte=50.7, latitude__lte=53.6)
                & Q(longitude__gte=3.3, longitude__lte=7.3),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


class Specialism(models.Model):
    """A medical specialism, by its Vektis COD016 code (a string: "0305", never 305)."""

    code = models.CharField(
        _("code"), max_length=4, unique=True, validators=[SPECIALISM_CODE_VALIDATOR]
    )
    name = models.CharField(_("name"), max_length=200)
    is_active = models.BooleanField(_("active"), default=True)
    # Laboratory specialisms, the "not further specified" code and a duplicate code are reference
    # data (figures and plans may name them) but nothing a patient waits for or searches by.
    patients_wait = models.BooleanField(
        _("patients wait for it"),
        default=True,
        help_text=_(
            "Offered to patients in the waiting-time search and the request form. Off for "
            "laboratory specialisms, the unspecified code and duplicate codes."
        ),
    )

    class Meta:
        verbose_name = _("specialism")
        verbose_name_plural = _("specialisms")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class TreatmentSetting(models.TextChoices):
    DAY = "day", _("Day treatment / outpatient")
    INPATIENT = "inpatient", _("Inpatient (clinical)")


class Treatment(models.Model):
    """A behandeling with a waiting time of its own.

    ``nza_name`` is the name under which the NZa publishes the treatment's waiting times (its
    open-data file and Zorgbeeld API, e.g. "Cataract-operatie"): an NZa file's treatment lines are
    read by it. Kept in the admin as the NZa's list changes.
    """

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    nza_name = models.CharField(
        _("NZa name"),
        max_length=200,
        blank=True,
        help_text=_(
            "The treatment's name in the NZa waiting-time data (e.g. Cataract-operatie), used "
            "to read NZa files; leave empty if the NZa does not publish it."
        ),
    )
    specialism = models.ForeignKey(
        Specialism,
        verbose_name=_("specialism"),
        on_delete=models.PROTECT,
        related_name="treatments",
    )
    setting = models.CharField(_("setting"), max_length=16, choices=TreatmentSetting.choices)
    is_active = models.BooleanField(_("active"), default=True)
    nza_number = models.CharField(
        _("NZa treatment number"),
        max_length=32,
        blank=True,
        help_text=_("The NZa's TreatmentNumber of the treatment, when the NZa data gives one."),
    )
    needs_review = models.BooleanField(
        _("needs review"),
        default=False,
        help_text=_(
            "Created by the national NZa import from a name it did not know: check the name, "
            "specialism and (guessed) setting, then clear this mark."
        ),
    )

    class Meta:
        verbose_name = _("treatment")
        verbose_name_plural = _("treatments")
        ordering = ["specialism__code", "name"]
        constraints = [
            models.UniqueConstraint(
                Lower("nza_name"),
                condition=~Q(nza_name=""),
                name="treatment_unique_nza_name",
                violation_error_message=_("Another treatment has this NZa name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class WaitingTimeKind(models.TextChoices):
    FIRST_VISIT = "first_visit", _("First outpatient visit")
    DIAGNOSTICS = "diagnostics", _("Diagnostics")
    TREATMENT = "treatment", _("Treatment")


class Norm(models.Model):
    """A Treeknorm (DESIGN §3.1): ``target_percentage`` % within ``target_days``, never above
    ``max_days``. Data, editable in the admin; a wait *exceeds the norm* when above ``max_days``.

    ``setting`` is empty for first visits and diagnostics and ``day``/``inpatient`` for treatments.
    """

    kind = models.CharField(_("kind"), max_length=16, choices=WaitingTimeKind.choices)
    setting = models.CharField(
        _("setting"), max_length=16, choices=TreatmentSetting.choices, blank=True
    )
    target_days = models.PositiveIntegerField(_("target (days)"))
    max_days = models.PositiveIntegerField(_("maximum (days)"))
    target_percentage = models.PositiveSmallIntegerField(
        _("share within target (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    history = HistoricalRecords(get_user=history_user)

    class Meta:
        verbose_name = _("Treeknorm")
        verbose_name_plural = _("Treeknormen")
        ordering = ["kind", "setting"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "setting"], name="norm_unique_kind_setting"),
            models.CheckConstraint(
                name="norm_max_not_below_target", condition=Q(max_days__gte=F("target_days"))
            ),
            models.CheckConstraint(
                name="norm_setting_only_for_treatment",
                condition=(Q(kind="treatment") & ~Q(setting=""))
                | (~Q(kind="treatment") & Q(setting="")),
            ),
        ]

    def __str__(self) -> str:
        label = self.get_kind_display()
        if self.setting:
            label = f"{label} ({self.get_setting_display()})"
        return f"{label}: {self.target_days}/{self.max_days}"


class PostcodeArea(models.Model):
    """A four-digit postcode area (PC4) with a representative point.

    Derived from GeoNames (CC BY 4.0); refreshed with ``manage.py import_postcodes``.
    """

    pc4 = models.CharField(_("PC4"), max_length=4, primary_key=True)
    place = models.CharField(_("place"), max_length=100)
    municipality = models.CharField(_("municipality"), max_length=100, blank=True)
    municipality_code = models.CharField(_("CBS municipality code"), max_length=6, blank=True)
    province = models.CharField(_("province"), max_length=50, blank=True)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=5)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=5)

    class Meta:
        verbose_name = _("postcode area (PC4)")
        verbose_name_plural = _("postcode areas (PC4)")
        ordering = ["pc4"]

    def __str__(self) -> str:
        return f"{self.pc4} {self.place}"


class ReferenceStamp(models.Model):
    """A single row whose ``token`` changes with the reference data that the public search keeps
    in memory (``providers.search.snapshot``): locations, providers, regions,
    specialisms, treatments, norms and postcode areas.

    Triggers on those tables (``providers.reference.stamp``) write a new random token in the
    same transaction as any statement that changes them, whatever issued it (ORM, admin, bulk
    update, ``COPY``, raw SQL), so the token a connection reads always belongs to the data it
    sees. A random token
    rather than a counter: a transaction rolled back restores the token it replaced, never one
    that another state of the data could also have had.
    """

    token = models.CharField(_("token"), max_length=36)

    class Meta:
        verbose_name = _("reference data stamp")
        verbose_name_plural = _("reference data stamps")

    def __str__(self) -> str:
        return self.token


class ReportOrigin(models.TextChoices):
    """Who a figure comes from (DESIGN §3.8): the provider itself, or the national NZa data. For
    the same series and peildatum a provider's own report wins."""

    PROVIDER = "provider", _("Provider")
    NZA = "nza", _("NZa")


class WaitingTimeSeries(models.Model):
    """One series of reported waits: a location's wait of one kind, for a specialism
    (``first_visit``, ``diagnostics``) or for a treatment (``treatment``).

    The latest report is kept here as the *current* figure (denormalised by
    ``providers.waiting_times.storage``), so that searches read one row per series instead of
    scanning the history. For a treatment series, ``specialism`` is the treatment's specialism.
    """

    location = models.ForeignKey(
        Location, verbose_name=_("location"), on_delete=models.PROTECT, related_name="series"
    )
    specialism = models.ForeignKey(
        Specialism, verbose_name=_("specialism"), on_delete=models.PROTECT, related_name="+"
    )
    treatment = models.ForeignKey(
        Treatment,
        verbose_name=_("treatment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=WaitingTimeKind.choices)
    current_reference_date = models.DateField(_("current reference date"), null=True, blank=True)
    current_days = models.PositiveIntegerField(_("current wait (days)"), null=True, blank=True)
    current_insufficient_observations = models.BooleanField(
        _("insufficient observations"), default=False
    )
    current_origin = models.CharField(
        _("current figure from"),
        max_length=8,
        choices=ReportOrigin.choices,
        default=ReportOrigin.PROVIDER,
        db_default=ReportOrigin.PROVIDER,
    )

    class Meta:
        verbose_name = _("waiting-time series")
        verbose_name_plural = _("waiting-time series")
        constraints = [
            models.UniqueConstraint(
                fields=["location", "specialism", "kind"],
                condition=Q(treatment__isnull=True),
                name="series_unique_specialism_kind",
            ),
            models.UniqueConstraint(
                fields=["location", "treatment", "kind"],
                condition=Q(treatment__isnull=False),
                name="series_unique_treatment_kind",
            ),
            models.CheckConstraint(
                name="series_treatment_only_for_treatment_kind",
                condition=TREATMENT_ONLY_FOR_TREATMENT_KIND,
            ),
        ]
        indexes = [
            models.Index(fields=["specialism", "kind"], name="series_specialism_kind"),
            models.Index(fields=["treatment", "kind"], name="series_treatment_kind"),
            # The public search: a specialism's current figures near a postcode, read from the
            # index alone on PostgreSQL (SQLite ignores ``include``).
            models.Index(
                fields=["specialism", "location"],
                include=[
                    "kind",
                    "treatment",
                    "current_days",
                    "current_insufficient_observations",
                    "current_reference_date",
                    "current_origin",
                ],
                condition=Q(current_reference_date__isnull=False),
                name="series_current_by_specialism",
            ),
        ]

    def __str__(self) -> str:
        subject = self.treatment or self.specialism
        return f"{self.location.code} {subject} {self.kind}"


class ReportSource(models.TextChoices):
    API = "api", _("API")
    CSV = "csv", _("CSV upload")
    WEB = "web", _("Web form")
    DEMO = "demo", _("Demo data")
    JSON = "json", _("JSON file")


class WaitingTimeReport(models.Model):
    """The wait of one series on one peildatum, in calendar days (DESIGN §3.1), or
    ``insufficient_observations`` without a number. Re-reporting the same series and peildatum
    corrects it; the replaced value is kept as a :class:`WaitingTimeRevision`."""

    series = models.ForeignKey(
        WaitingTimeSeries,
        verbose_name=_("series"),
        on_delete=models.CASCADE,
        related_name="reports",
    )
    reference_date = models.DateField(_("reference date (peildatum)"))
    days = models.PositiveIntegerField(_("wait (days)"), null=True, blank=True)
    insufficient_observations = models.BooleanField(_("insufficient observations"), default=False)
    source = models.CharField(_("source"), max_length=8, choices=ReportSource.choices)
    origin = models.CharField(
        _("from"),
        max_length=8,
        choices=ReportOrigin.choices,
        default=ReportOrigin.PROVIDER,
        # Also in the database: raw SQL and COPY loads that do not name the column.
        db_default=ReportOrigin.PROVIDER,
    )
    import_job = models.ForeignKey(
        "WaitingTimeImport",
        verbose_name=_("import"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        db_index=False,
    )
    reported_at = models.DateTimeField(_("reported at"), auto_now=True)
    reported_by = models.CharField(_("reported by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("waiting-time report")
        verbose_name_plural = _("waiting-time reports")
        ordering = ["series", "-reference_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["series", "reference_date"], name="report_unique_series_date"
            ),
            models.CheckConstraint(
                name="report_days_or_insufficient",
                condition=(Q(days__isnull=False) & Q(insufficient_observations=False))
                | (Q(days__isnull=True) & Q(insufficient_observations=True)),
            ),
            models.CheckConstraint(
                name="report_days_plausible", condition=Q(days__lte=MAX_PLAUSIBLE_WAIT_DAYS)
            ),
        ]
        # The regional trend reads (series, peildatum, days) for a window of cycles: with this
        # index it is an index-only scan (benchmarks/bench_regional_report.py).
        indexes = [
            models.Index(
                fields=["series", "reference_date", "days"], name="report_series_date_days"
            )
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.reference_date}: {self.days}"


class RegionTrendCount(models.Model):
    """How many reports of a region's active locations gave ``days`` on one peildatum, per kind
    and (for treatments) setting: the input of the regional trend.

    A summary of :class:`WaitingTimeReport`, kept by the reporting service: every submission
    recounts the (region, peildatum) groups it touched, in its own transaction, and
    ``providers.reports.trend_counts`` rebuilds a region after bulk loads or when a location's
    activity or a provider's region changes. Reports without a number are not counted.
    At national scale ≈ 200,000 rows instead of ≈ 3 million reports.
    """

    region = models.ForeignKey(
        Region, verbose_name=_("ROAZ region"), on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=WaitingTimeKind.choices)
    # Empty for first visits and diagnostics.
    setting = models.CharField(
        _("setting"), max_length=16, choices=TreatmentSetting.choices, blank=True
    )
    reference_date = models.DateField(_("reference date (peildatum)"))
    days = models.PositiveIntegerField(_("wait (days)"))
    reports = models.PositiveIntegerField(_("reports"))

    class Meta:
        verbose_name = _("regional trend count")
        verbose_name_plural = _("regional trend counts")
        constraints = [
            models.UniqueConstraint(
                fields=["region", "reference_date", "kind", "setting", "days"],
                name="trend_count_unique",
            )
        ]

    def __str__(self) -> str:
        return f"{self.region_id} {self.reference_date} {self.kind} {self.days}: {self.reports}"


class WaitingTimeRevision(models.Model):
    """A value a report had before it was corrected (who replaced it, and when)."""

    report = models.ForeignKey(
        WaitingTimeReport,
        verbose_name=_("report"),
        on_delete=models.CASCADE,
        related_name="revisions",
    )
    days = models.PositiveIntegerField(_("wait (days)"), null=True, blank=True)
    insufficient_observations = models.BooleanField(_("insufficient observations"), default=False)
    source = models.CharField(_("source"), max_length=8, choices=ReportSource.choices)
    origin = models.CharField(
        _("from"),
        max_length=8,
        choices=ReportOrigin.choices,
        default=ReportOrigin.PROVIDER,
        # Also in the database: raw SQL and COPY loads that do not name the column.
        db_default=ReportOrigin.PROVIDER,
    )
    reported_at = models.DateTimeField(_("reported at"))
    reported_by = models.CharField(_("reported by"), max_length=200, blank=True)
    replaced_at = models.DateTimeField(_("replaced at"), auto_now_add=True)
    replaced_by = models.CharField(_("replaced by"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("waiting-time revision")
        verbose_name_plural = _("waiting-time revisions")
        ordering = ["report", "-replaced_at"]

    def __str__(self) -> str:
        return f"{self.report} was {self.days} until {self.replaced_at:%Y-%m-%d}"


class CapacityOfferQuerySet(models.QuerySet["CapacityOffer"]):
    def with_lapsed_holds(self, *, now: datetime) -> CapacityOfferQuerySet:
        """Annotate ``lapsed_holds``: the offer's holds whose time has passed (see
        :class:`CapacityHold`), so that ``remaining`` needs no query per row."""
        lapsed = (
            CapacityHold.objects.filter(capacity_offer_id=OuterRef("pk"), until__lte=now)
            .order_by()
            .values("capacity_offer_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(lapsed_holds=Coalesce(Subquery(lapsed), 0))


class CapacityOffer(models.Model):
    """Free capacity a provider offers for mediated patients in one week (a Monday).

    ``reserved_slots`` is raised by mediation offers that reserve a slot (under a row lock, so a
    slot is never given twice) and counts their :class:`CapacityHold` rows. A hold whose time has
    passed (an offer the patient let expire) no longer holds its slot, whether or not anything
    has recorded the expiry yet: ``remaining = slots - reserved_slots + lapsed holds``; the next
    reservation reclaims such slots under the row lock.
    """

    location = models.ForeignKey(
        Location,
        verbose_name=_("location"),
        on_delete=models.PROTECT,
        related_name="capacity_offers",
    )
    specialism = models.ForeignKey(
        Specialism, verbose_name=_("specialism"), on_delete=models.PROTECT, related_name="+"
    )
    treatment = models.ForeignKey(
        Treatment,
        verbose_name=_("treatment"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    kind = models.CharField(_("kind"), max_length=16, choices=WaitingTimeKind.choices)
    week_start = models.DateField(_("week (Monday)"))
    slots = models.PositiveIntegerField(_("slots"), validators=[MinValueValidator(1)])
    reserved_slots = models.PositiveIntegerField(_("reserved slots"), default=0)
    urgency_classes = models.JSONField(_("accepted urgency classes"), default=all_urgency_classes)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.CharField(_("created by"), max_length=200, blank=True)

    objects = CapacityOfferQuerySet.as_manager()

    class Meta:
        verbose_name = _("capacity offer")
        verbose_name_plural = _("capacity offers")
        ordering = ["week_start", "location__name"]
        constraints = [
            models.CheckConstraint(name="capacity_slots_positive", condition=Q(slots__gte=1)),
            models.CheckConstraint(
                name="capacity_reserved_within_slots", condition=Q(reserved_slots__lte=F("slots"))
            ),
            models.CheckConstraint(
                name="capacity_treatment_only_for_treatment_kind",
                condition=TREATMENT_ONLY_FOR_TREATMENT_KIND,
            ),
        ]
        indexes = [models.Index(fields=["specialism", "kind", "week_start"])]

    def __str__(self) -> str:
        return f"{self.location.code} {self.week_start} {self.slots}"

    def lapsed_hold_count(self, *, now: datetime | None = None) -> int:
        annotated = getattr(self, "lapsed_holds", None)
        if annotated is not None and now is None:
            return int(annotated)
        if self.pk is None:
            return 0
        return self.holds.filter(until__lte=now or timezone.now()).count()

    @property
    def held_slots(self) -> int:
        """Slots held right now (reserved, less the holds whose time has passed)."""
        return self.reserved_slots - self.lapsed_hold_count()

    @property
    def remaining(self) -> int:
        return self.slots - self.held_slots


class CapacityHold(models.Model):
    """One reserved slot of a capacity offer, held for ``holder`` (an opaque key of whoever holds
    it, e.g. a mediation offer) until ``until`` — or without limit when ``until`` is empty (the
    patient accepted). A hold whose ``until`` has passed has lapsed: its slot is free for every
    reader at once, and the next reservation of the offer deletes it and lowers
    ``reserved_slots`` (under the capacity offer's row lock, which every change of holds takes
    first)."""

    capacity_offer = models.ForeignKey(
        CapacityOffer,
        verbose_name=_("capacity offer"),
        on_delete=models.CASCADE,
        related_name="holds",
    )
    holder = models.CharField(_("held for"), max_length=64, unique=True)
    until = models.DateTimeField(_("held until"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("capacity hold")
        verbose_name_plural = _("capacity holds")
        indexes = [models.Index(fields=["capacity_offer", "until"], name="capacity_hold_until")]

    def __str__(self) -> str:
        return f"{self.capacity_offer_id} {self.holder}"


class WaitingTimeImportStatus(models.TextChoices):
    PENDING = "pending", _("Waiting to start")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Imported")
    FAILED = "failed", _("Not imported")


class WaitingTimeImportScope(models.TextChoices):
    PROVIDER = "provider", _("A provider's own figures")
    NATIONAL = "national", _("National NZa data")


class WaitingTimeImport(models.Model):
    """One uploaded waiting-time CSV file, imported by a Celery task (all or nothing).

    The file's bytes are kept in the database (not on a web host's disk), so a worker on any host
    can read them, in pieces (:class:`WaitingTimeImportChunk`), so that a large file is written
    and read a piece at a time; the pieces are deleted once the import has finished. ``errors``
    holds the row errors (``{"row", "field", "message"}``) of a failed import, ``counts`` the
    created / updated / unchanged reports of a successful one. ``created_by`` is the planner who
    uploaded the file, or ``api_key`` the provider's key that sent it: the import acts as them.
    """

    provider = models.ForeignKey(
        Provider,
        verbose_name=_("provider"),
        on_delete=models.CASCADE,
        related_name="waiting_time_imports",
        null=True,
        blank=True,
    )
    # A national import (the NZa file, providers.nza) has no provider; its lines that cannot be
    # mapped are skipped and listed in ``errors`` while the import succeeds.
    scope = models.CharField(
        _("scope"),
        max_length=16,
        choices=WaitingTimeImportScope.choices,
        default=WaitingTimeImportScope.PROVIDER,
    )
    created_by = models.ForeignKey(
        "accounts.User",
        verbose_name=_("uploaded by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    api_key = models.ForeignKey(
        "accounts.ApiKey",
        verbose_name=_("API key"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    file_name = models.CharField(_("file name"), max_length=255)
    size = models.PositiveIntegerField(_("size (bytes)"), default=0)
    language = models.CharField(_("language"), max_length=16, blank=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WaitingTimeImportStatus.choices,
        default=WaitingTimeImportStatus.PENDING,
    )
    progress = models.PositiveSmallIntegerField(
        _("progress (%)"), default=0, validators=[MaxValueValidator(100)]
    )
    row_count = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("row errors"), default=list, blank=True)
    task_id = models.CharField(_("task id"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("waiting-time import")
        verbose_name_plural = _("waiting-time imports")
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="waiting_time_import_progress_percent", condition=Q(progress__lte=100)
            ),
            models.CheckConstraint(
                name="waiting_time_import_provider_unless_national",
                condition=Q(scope="national") | Q(provider__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def is_finished(self) -> bool:
        return self.status in (WaitingTimeImportStatus.SUCCEEDED, WaitingTimeImportStatus.FAILED)

    @property
    def imported(self) -> int:
        return sum(self.counts.get(key, 0) for key in ("created", "updated", "unchanged"))


class WaitingTimeImportChunk(models.Model):
    """One piece of an uploaded file, in order (``number`` from 0); every piece but the last is
    exactly ``providers.waiting_times.imports.IMPORT_CHUNK_BYTES`` long."""

    job = models.ForeignKey(
        WaitingTimeImport,
        verbose_name=_("waiting-time import"),
        on_delete=models.CASCADE,
        related_name="chunks",
    )
    number = models.PositiveIntegerField(_("number"))
    data = models.BinaryField(_("data"))

    class Meta:
        verbose_name = _("piece of an uploaded file")
        verbose_name_plural = _("pieces of uploaded files")
        ordering = ["job", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["job", "number"], name="waiting_time_import_chunk_unique_number"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.job_id} #{self.number}"


class PersistentOverrun(models.Model):
    """A series above the Treeknorm maximum for three NZa cycles in a row ("langdurige
    overschrijding", DESIGN §3.8), from the first of those cycles (``since``) until its figure is
    within the maximum again (``cleared_at``). One row per run, so that the history is kept; at
    most one open run per series. Kept by :func:`providers.waiting_times.overrun.
    series_overrun_refresh`; the notifications (``notified_at``, ``clear_notified_at``) are
    written by the mediation app, which knows who contracts the provider."""

    series = models.ForeignKey(
        WaitingTimeSeries,
        verbose_name=_("series"),
        on_delete=models.CASCADE,
        related_name="overruns",
    )
    since = models.DateField(_("over the norm since (peildatum)"))
    latest_reference_date = models.DateField(_("latest peildatum over the norm"))
    cycles = models.PositiveSmallIntegerField(_("cycles over the norm"))
    days = models.PositiveIntegerField(_("latest wait (days)"))
    max_days = models.PositiveIntegerField(_("norm maximum (days)"))
    flagged_at = models.DateTimeField(_("flagged at"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("cleared at"), null=True, blank=True)
    cleared_reference_date = models.DateField(
        _("peildatum within the norm again"), null=True, blank=True
    )
    notified_at = models.DateTimeField(_("flag notified at"), null=True, blank=True)
    clear_notified_at = models.DateTimeField(_("clearance notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("persistent overrun")
        verbose_name_plural = _("persistent overruns")
        ordering = ["-since", "series"]
        constraints = [
            models.UniqueConstraint(
                fields=["series"],
                condition=Q(cleared_at__isnull=True),
                name="overrun_one_open_per_series",
            ),
        ]
        indexes = [
            models.Index(fields=["cleared_at", "series"], name="overrun_open"),
        ]

    def __str__(self) -> str:
        return f"{self.series_id} {self.since}"

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None
