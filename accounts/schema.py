"""How our authentication classes appear in the OpenAPI schema (and Swagger UI's Authorize)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiKeyAuthentication"
    name = "ApiKeyAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": "An organisation's API key, sent as `Authorization: Api-Key <key>`.",
        }


class CsrfSessionAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.CsrfSessionAuthentication"
    name = "SessionAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "cookie", "name": "sessionid"}
