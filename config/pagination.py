from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

MAX_DIGITS = 18


class StandardPagination(PageNumberPagination):
    """DESIGN §8: ``{"count", "next", "previous", "results"}``; 50 per page by default,
    ``?page_size=`` up to 500 (a larger size gives 500 per page, as the schema says).

    ``page`` and ``page_size`` are whole numbers of 1 or more, or left out. Anything else
    (empty, ``null``, 0, negative, ``2.5``) is a 400 naming the parameter, as the schema says;
    DRF's own class would quietly fall back to its default page or size. A page past the last
    one is a 404 (DRF's answer)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()  # DRF's undocumented ``?page=last``: not an integer, not in the schema

    def get_page_size(self, request: Request) -> int:
        size = self._whole_number(
            request,
            self.page_size_query_param,
            message=_(
                "Give a page size of 1 or more (at most %(max)d are given), or leave page_size out."
            )
            % {"max": self.max_page_size},
        )
        return min(size, self.max_page_size) if size else self.page_size

    def get_page_number(self, request: Request, paginator: Any) -> int:
        number = self._whole_number(
            request,
            self.page_query_param,
            message=_("Give a page number of 1 or more, or leave page out."),
        )
        return number or 1

    @staticmethod
    def _whole_number(request: Request, name: str, *, message: Any) -> int | None:
        values = request.query_params.getlist(name)
        if not values:
            return None
        numbers = []
        for value in values:
            if not (value.isascii() and value.isdigit()):
                raise ValidationError({name: [message]})
            # Python refuses int() of thousands of digits; such a page is past the last one,
            # such a size more than is given.
            number = int(value) if len(value) <= MAX_DIGITS else 10**MAX_DIGITS
            if number < 1:
                raise ValidationError({name: [message]})
            numbers.append(number)
        return numbers[-1]

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.page_query_param:
                parameter["schema"]["minimum"] = 1
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"].update({"minimum": 1, "default": self.page_size})
                parameter["description"] = (
                    f"Results per page (default {self.page_size}); a larger size than "
                    f"{self.max_page_size} gives {self.max_page_size}"
                )
        return parameters
