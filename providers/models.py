"""Reference data: ROAZ regions, providers and their locations, specialisms, treatments, the
Treeknormen, and the PC4 postcode geography."""

from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from accounts.history import history_user

AGB_VALIDATOR = RegexValidator(r"^\d{8}$", _("An AGB code has exactly 8 digits."))
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
    # Normalised PC6 without space, e.g. "3511AB"; see providers.postcodes.
    postcode = models.CharField(_("postcode"), max_length=6)
    city = models.CharField(_("city"), max_length=100)
    latitude = models.DecimalField(_("latitude"), max_digits=8, decimal_places=6)
    longitude = models.DecimalField(_("longitude"), max_digits=8, decimal_places=6)
    is_active = models.BooleanField(_("active"), default=True)
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
    """A behandeling with a waiting time of its own."""

    code = models.CharField(_("code"), max_length=32, unique=True)
    name = models.CharField(_("name"), max_length=200)
    specialism = models.ForeignKey(
        Specialism,
        verbose_name=_("specialism"),
        on_delete=models.PROTECT,
        related_name="treatments",
    )
    setting = models.CharField(_("setting"), max_length=16, choices=TreatmentSetting.choices)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("treatment")
        verbose_name_plural = _("treatments")
        ordering = ["specialism__code", "name"]

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
